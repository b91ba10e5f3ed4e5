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
        { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(30) },
        // What an abandoned upload can leave behind. Uploads go straight to their final key
        // (`tenants/<tenant>/uploads/<file>`) through a presigned PUT whose Content-Length is signed: S3 stores
        // the whole file or nothing, so an upload given up before or during the PUT leaves no object; a file
        // that did land is the tenant's even if nothing has read it yet. Only multipart uploads (the SDK's
        // large-object path) leave parts behind, invisible and billed, until this rule removes them.
        { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // Delete markers left once every version behind them has expired.
        { id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true },
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
