import { CfnParameter, NestedStack, type NestedStackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { pascalName, type DomainManifest } from '#shared/manifest.types.ts';
import { DomainFunctions, type SharedResources } from './constructs/functions.construct.ts';
import type { PlatformRestApi } from './constructs/rest-api.construct.ts';
import { Schedules } from './constructs/schedules.construct.ts';
import { DomainStateMachines } from './constructs/state-machines.construct.ts';
import { callbackUrlOf, type PlatformWebSocketApi } from './constructs/websocket-api.construct.ts';

export interface DomainStackProps extends NestedStackProps {
  domain: DomainManifest;
  shared: SharedResources;
  rest: PlatformRestApi;
  websocket: PlatformWebSocketApi;
}

/**
 * One domain of the manifest as a nested stack: its functions (with the grants their `access` derives), their
 * REST methods and WebSocket routes on the parent's APIs, and its state machines. Everything it uses from the
 * parent (network, database secret, tables, bucket, secrets, API ids) arrives as CloudFormation parameters that
 * CDK creates from the references, so deploying the parent deploys every domain, in dependency order, with no
 * manual step. A domain's stack holds one to two hundred resources; CloudFormation allows 500 per stack.
 */
export class DomainStack extends NestedStack {
  readonly functions: DomainFunctions;
  readonly stateMachines: DomainStateMachines;

  constructor(scope: Construct, id: string, props: DomainStackProps) {
    super(scope, id, { ...props, description: `Multimodal LLM Stack: the ${props.domain.domain} domain (${props.shared.prefix})` });
    const { domain } = props;
    const shared = this.localized(props.shared);
    this.functions = new DomainFunctions(this, 'Functions', {
      specs: [...domain.functions, ...domain.systemFunctions],
      shared,
      group: domain.domain,
    });
    // Callers invoke the live aliases (lib/constructs/live-aliases.construct.ts).
    const functionOf = (name: string) => this.functions.invokable(name);
    props.rest.addRoutes(this, domain.functions, functionOf);
    props.websocket.addRoutes(this, domain.functions, functionOf);
    this.stateMachines = new DomainStateMachines(this, 'StateMachines', {
      specs: domain.stateMachines,
      functions: this.functions,
      projectRoot: shared.projectRoot,
      stateMachineName: shared.stateMachineName,
      logRetention: shared.logRetention,
      removalPolicy: shared.removalPolicy,
    });
    new Schedules(this, 'Schedules', { specs: domain.systemFunctions, functionOf, prefix: shared.prefix, settings: shared.settings });
  }

  /**
   * The bucket and the WebSocket API id as parameters of this stack, declared here rather than left to CDK's
   * automatic cross-stack references: IAM statements that end in a wildcard name them, and cdk-nag's
   * acknowledgement of such a statement must spell the ARN exactly as this stack's template does, which a
   * reference CDK only turns into a parameter at synthesis would not allow.
   */
  private localized(shared: SharedResources): SharedResources {
    const parameter = (id: string, value: string, description: string): string => {
      this.setParameter(id, value);
      return new CfnParameter(this, id, { type: 'String', description }).valueAsString;
    };
    const bucketName = parameter('FilesBucketName', shared.bucket.bucketName, 'The files bucket (parent stack)');
    const apiId = parameter('WebSocketApiId', shared.websocket.apiId, 'The WebSocket API (parent stack)');
    return {
      ...shared,
      bucket: s3.Bucket.fromBucketName(this, 'FilesBucket', bucketName),
      websocket: { ...shared.websocket, apiId, callbackUrl: callbackUrlOf(this, apiId, shared.websocket.stageName, shared.websocket.localstackHost) },
    };
  }

  /** `agents` -> `Agents`, `n8n-monitor` -> `N8nMonitor`: the nested stack's construct id. */
  static idOf(domain: DomainManifest): string {
    return pascalName(domain.domain);
  }
}
