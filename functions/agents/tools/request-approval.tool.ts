/**
 * `request_approval`: the model asks a human before it goes on. The contract with the orchestration:
 *
 * 1. The model calls `request_approval`. `needsApproval` is true, so the orchestration does not run it:
 *    it stores the call, sets the execution to `waiting_approval`, emits `execution.waiting_approval` with
 *    the call's id and arguments, and waits on a Step Functions task token.
 * 2. `POST /v1/executions/{id}/approvals` records the decision and resumes the run with it.
 * 3. The orchestration runs the call with `ctx.approval = { toolCallId, approved, decidedBy, comment }`.
 *    This tool returns that decision as its output, so the model reads "approved" or "rejected" (with the
 *    human's comment) as an ordinary result and carries on accordingly. A rejection is an answer, not an
 *    error.
 *
 * Without a decision for this very call the runner answers `approval_required` and never runs it.
 */
import * as z from 'zod';
import { ToolError } from './tool.errors.ts';
import { defineTool } from './tool.types.ts';

export const requestApprovalTool = defineTool({
  name: 'request_approval',
  description:
    'Asks a human to approve or reject an action before you take it, and waits for the answer. Describe the action ' +
    'and why; the result says whether it was approved, by whom, and any comment. Do not take a rejected action.',
  input: z.object({
    action: z.string().min(1).max(500).describe('What you want to do, in one sentence.'),
    details: z.string().max(4000).optional().describe('Anything the human needs to decide: reasons, risks, data involved.'),
  }),
  needsApproval: true,
  run: async ({ action }, ctx) => {
    const decision = ctx.approval;
    // The runner checks this too; repeated so the tool is safe on its own.
    if (!decision) throw new ToolError('approval_required', 'request_approval needs a human decision before it runs.');
    return {
      action,
      approved: decision.approved,
      decision: decision.approved ? 'approved' : 'rejected',
      decidedBy: decision.decidedBy,
      comment: decision.comment ?? null,
    };
  },
});
