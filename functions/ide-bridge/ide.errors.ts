/** The IDE bridge's errors, as the shared problem mapping knows them (functions/shared/errors.ts). */
import { ServiceUnavailableError } from '#shared/errors.ts';

/** An analyzer could not answer (pyright died or ran past its deadline): try again. */
export class AnalyzerUnavailableError extends ServiceUnavailableError {}

/** The model this request would use has no key (and no compatible base URL) in this deployment. */
export class ModelNotConfiguredError extends ServiceUnavailableError {}
