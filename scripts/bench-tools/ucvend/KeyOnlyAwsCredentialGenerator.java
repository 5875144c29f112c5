/*
 * The bench's S3 credential generator for the Unity Catalog server (plugged in
 * with the server's own setting s3.credentialGenerator.0=<this class>): it vends
 * the S3 server's access key and secret from the server's environment
 * (UC_SERVER_S3_ACCESS_KEY, UC_SERVER_S3_SECRET_KEY) WITHOUT a session token.
 *
 * Why: the server's built-in static vending is used only when s3.sessionToken.0
 * is set, and then always vends that token; versitygw 1.8 refuses any session
 * token with its root or IAM-user keys (only sessions minted by its own
 * AssumeRoleWithWebIdentity carry one). Built by scripts/bench, not part of ucfs.
 */
package ucfs.bench;

import io.unitycatalog.server.service.credential.CredentialContext;
import io.unitycatalog.server.service.credential.aws.AwsCredentialGenerator;
import software.amazon.awssdk.services.sts.model.Credentials;

public class KeyOnlyAwsCredentialGenerator implements AwsCredentialGenerator {
  private final String accessKey = System.getenv("UC_SERVER_S3_ACCESS_KEY");
  private final String secretKey = System.getenv("UC_SERVER_S3_SECRET_KEY");

  public KeyOnlyAwsCredentialGenerator() {
    if (accessKey == null || accessKey.isEmpty() || secretKey == null || secretKey.isEmpty()) {
      throw new IllegalStateException(
          "UC_SERVER_S3_ACCESS_KEY and UC_SERVER_S3_SECRET_KEY must be set for the bench's vending");
    }
  }

  @Override
  public Credentials generate(CredentialContext context) {
    return Credentials.builder().accessKeyId(accessKey).secretAccessKey(secretKey).build();
  }
}
