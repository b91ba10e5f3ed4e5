/** What an agent is, apart from storage and HTTP. */
import type { CreatedAtPosition } from '#shared/pagination.ts';
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

/** The storage port of agent definitions (PostgreSQL in agent.repository.ts). Soft-deleted agents are invisible. */
export interface AgentRepository {
  insert(agentId: string, tenantId: string, def: AgentDefinition, createdBy: string | null): Promise<AgentRecord>;
  insertVersion(agent: AgentRecord, createdBy: string | null): Promise<void>;
  find(tenantId: string, agentId: string, options?: { forUpdate?: boolean }): Promise<AgentRecord | undefined>;
  /** True even when the agent was deleted since: its analytics stay readable. */
  existedInTenant(tenantId: string, agentId: string): Promise<boolean>;
  update(tenantId: string, agentId: string, def: AgentDefinition): Promise<AgentRecord>;
  listByTenant(tenantId: string, limit: number, after?: CreatedAtPosition): Promise<AgentRecord[]>;
  softDelete(tenantId: string, agentId: string): Promise<boolean>;
  listVersions(agentId: string, limit: number, beforeVersion?: number): Promise<AgentVersionRecord[]>;
}

/** The catalog port: which tool names exist (the tool runner in production). */
export interface ToolCatalog {
  has(name: string): boolean;
  names(): string[];
  /** Entries that stand for another domain's tools (`mcp:<serverId>`): which are such, and which name nothing the tenant has. */
  refs?: { isRef(name: string): boolean; unknown(tenantId: string, names: readonly string[]): Promise<string[]> };
}
