/** What an agent is, apart from storage and HTTP. */
import type { ModelConfig } from '../agents.contracts.ts';

/** The part of an agent that each version freezes. */
export interface AgentDefinition {
  name: string;
  description: string;
  systemPrompt: string;
  model: ModelConfig;
  tools: string[];
  maxSteps: number;
}

export interface AgentRecord extends AgentDefinition {
  agentId: string;
  tenantId: string;
  version: number;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface AgentVersionRecord extends AgentDefinition {
  agentId: string;
  version: number;
  createdBy: string | null;
  createdAt: Date;
}

/** The catalog port: which tool names exist (H5's runner in production). */
export interface ToolCatalog {
  has(name: string): boolean;
  names(): string[];
}
