"""S3: bucket policies evaluated as AWS does."""
