/**
 * The Orchestrator on Step Functions: a run per execution, named after it (a repeated start is harmless),
 * stopped on cancel, resumed through the task token of an approval. Loaded by executions.composition.ts on
 * the first call that needs it.
 */
import { SendTaskSuccessCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { Orchestrator } from './executions.service.ts';

export const stepFunctionsOrchestrator = (machineArn: () => string, client = new SFNClient({})): Orchestrator => ({
  start: async (name, input) => {
    try {
      const out = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn(), name, input: JSON.stringify(input) }));
      return out.executionArn!;
    } catch (error) {
      // Started by an earlier attempt: the run is there, under this name.
      if ((error as Error).name === 'ExecutionAlreadyExists') return `${machineArn().replace(':stateMachine:', ':execution:')}:${name}`;
      throw error;
    }
  },
  stop: async (executionArn, cause) => {
    try {
      await client.send(new StopExecutionCommand({ executionArn, cause }));
    } catch (error) {
      // Finished or gone already: the cancel stands in our records either way.
      if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
    }
  },
  resume: async (token, output) => {
    try {
      await client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
      return true;
    } catch (error) {
      if (['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken'].includes((error as Error).name)) return false;
      throw error;
    }
  },
});
