import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { TableName } from '#shared/manifest.types.ts';
import { tables as tableShapes } from '#shared/resources.ts';

export interface StorageProps {
  prefix: string;
  removalPolicy: RemovalPolicy;
}

/** The DynamoDB tables named in functions/shared/resources.ts and the files bucket (with its access-log bucket). */
export class Storage extends Construct {
  readonly tables: Record<TableName, dynamodb.Table>;
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const autoDelete = props.removalPolicy === RemovalPolicy.DESTROY;

    const entries = Object.entries(tableShapes) as Array<[TableName, (typeof tableShapes)[TableName]]>;
    this.tables = Object.fromEntries(
      entries.map(([name, shape]) => {
        const table = new dynamodb.Table(this, `${name[0]!.toUpperCase()}${name.slice(1)}Table`, {
          tableName: `${props.prefix}-${name}`,
          partitionKey: { name: shape.partitionKey, type: dynamodb.AttributeType.STRING },
          ...(shape.sortKey ? { sortKey: { name: shape.sortKey, type: dynamodb.AttributeType.STRING } } : {}),
          billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          encryption: dynamodb.TableEncryption.AWS_MANAGED,
          timeToLiveAttribute: shape.ttl,
          removalPolicy: props.removalPolicy,
        });
        for (const index of shape.indexes ?? []) {
          table.addGlobalSecondaryIndex({
            indexName: index.name,
            partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
            ...(index.sortKey ? { sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING } } : {}),
            projectionType: dynamodb.ProjectionType.ALL,
          });
        }
        return [name, table];
      }),
    ) as Record<TableName, dynamodb.Table>;

    const accessLogs = new s3.Bucket(this, 'AccessLogBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(90) }],
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: autoDelete,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log bucket itself; logging it into itself would loop.',
    });

    this.bucket = new s3.Bucket(this, 'FilesBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'files/',
      lifecycleRules: [
        // Presigned uploads land under tmp/ until a handler claims them; unclaimed ones are garbage.
        { id: 'expire-tmp-uploads', prefix: 'tmp/', expiration: Duration.days(1) },
        { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(30) },
        { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      cors: [
        {
          // Browsers upload and download through presigned URLs.
          allowedMethods: [s3.HttpMethods.GET, s3.HttpMethods.PUT, s3.HttpMethods.HEAD],
          allowedOrigins: ['*'],
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag'],
          maxAge: 3000,
        },
      ],
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: autoDelete,
    });
  }
}
