/**
 * The model port on the agents domain's public `models()`: the same provider adapters, keys and base URLs
 * as the agent loop. Provider failures become the HTTP problems an editor can act on. The agents module
 * (and the provider SDKs behind it) is imported on the first model call, so a function that only analyzes
 * (ide-analyze) does not load it at its cold start.
 */
import { BadGatewayError, GatewayTimeoutError, ServiceUnavailableError } from '#shared/errors.ts';
import type { CodeModel, CodeModelAnswer, CodeModelRequest } from './code-model.ts';

const agents = () => import('#functions/agents/agents.public.ts');

const asProblem = async (error: unknown, request: CodeModelRequest): Promise<unknown> => {
  const { ModelError, ModelRequestError, ModelThrottledError, ModelTimeoutError } = await agents();
  if (!(error instanceof ModelError)) return error;
  const who = `${request.model.provider} model ${request.model.name}`;
  if (error instanceof ModelThrottledError) {
    return new ServiceUnavailableError(
      `The ${who} is rate limited${error.retryAfterSeconds !== undefined ? `; retry in ${error.retryAfterSeconds} s` : ''}`,
    );
  }
  if (error instanceof ModelTimeoutError) return new GatewayTimeoutError(`The ${who} did not answer in time`);
  if (error instanceof ModelRequestError) return new BadGatewayError(`The provider refused the request for the ${who}: ${error.message}`);
  return new BadGatewayError(`The ${who} is unavailable: ${error.message}`);
};

export const codeModel = (): CodeModel => ({
  configured: async (provider) => (await agents()).models().configured(provider),
  generate: async (request): Promise<CodeModelAnswer> => {
    const { models } = await agents();
    try {
      const response = await models().generate(
        request.model.provider,
        {
          model: request.model.name,
          messages: [
            { role: 'system', content: request.system },
            { role: 'user', content: request.user },
          ],
          maxTokens: request.maxTokens,
          temperature: 0.2,
        },
        { timeoutMs: request.timeoutMs },
      );
      return { text: response.text, usage: response.usage, model: response.model };
    } catch (error) {
      throw await asProblem(error, request);
    }
  },
});
