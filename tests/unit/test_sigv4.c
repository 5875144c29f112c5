/*
 * test_sigv4.c - AWS Signature V4 against AWS's published vectors.
 *
 * Sources (every expected string below is copied from them, never produced by
 * this code):
 *  - The AWS SigV4 test suite ("aws-sig-v4-test-suite",
 *    https://docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html)
 *    as vendored by awslabs/aws-c-auth, tests/aws-signing-test-suite/v4/<case>/
 *    at commit 495329c2433034bd8fd53fc6ba9e0202d3fac876: request.txt (the
 *    request), context.json (AKIDEXAMPLE, region us-east-1, service "service",
 *    2015-08-30T12:36:00Z, token), header-canonical-request.txt,
 *    header-string-to-sign.txt, header-signature.txt and the Authorization
 *    line of header-signed-request.txt. Only the cases that hold for S3's
 *    rules are used: the "-normalized" path cases (dot-segment removal) do not
 *    apply to S3, and post-sts-header-after leaves the token unsigned, which
 *    ucfs never does.
 *  - Amazon S3 API Reference, "Authenticating Requests: Using the
 *    Authorization Header" -> "Examples: Signature Calculations"
 *    (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html):
 *    GET Object with Range, PUT Object, GET Bucket Lifecycle and GET Bucket
 *    (List Objects), AKIAIOSFODNN7EXAMPLE, examplebucket, 20130524T000000Z.
 *  - IAM User Guide, "Examples of how to derive a signing key for Signature
 *    Version 4": kSigning for date 20150830, us-east-1, iam.
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "storage/sigv4.h"
#include "util/strutil.h"

#define SUITE_TIME ((time_t)1440938160) /* 2015-08-30T12:36:00Z */
#define S3DOC_TIME ((time_t)1369353600) /* 2013-05-24T00:00:00Z */

static const struct sigv4_creds suite_creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL};
static const struct sigv4_creds s3doc_creds = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
					       NULL};

struct suite_case {
	const char *name, *method, *path /* as in request.txt, not yet encoded */, *query, *host;
	const char *headers[6];
	const char *body;  /* signed body (sign_body: true) or NULL */
	const char *token; /* session token or NULL */
	const char *creq, *sts, *sig, *authorization;
};

static const struct suite_case suite[] = {
	{
		"get-vanilla", "GET", "/", "", "example.amazonaws.com",
		{NULL},
		NULL, NULL,
		"GET\n"
		"/\n"
		"\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
		"5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
	},
	{
		"get-vanilla-query", "GET", "/", "", "example.amazonaws.com",
		{NULL},
		NULL, NULL,
		"GET\n"
		"/\n"
		"\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
		"5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
	},
	{
		"get-vanilla-empty-query-key", "GET", "/", "Param1=value1", "example.amazonaws.com",
		{NULL},
		NULL, NULL,
		"GET\n"
		"/\n"
		"Param1=value1\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab",
		"a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
	},
	{
		"get-vanilla-query-order-key-case", "GET", "/", "Param2=value2&Param1=value1", "example.amazonaws.com",
		{NULL},
		NULL, NULL,
		"GET\n"
		"/\n"
		"Param1=value1&Param2=value2\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
		"b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
	},
	{
		"get-vanilla-query-order-encoded", "GET", "/", "Param-3=Value3&Param=Value2&%E1%88%B4=Value1", "example.amazonaws.com",
		{NULL},
		NULL, NULL,
		"GET\n"
		"/\n"
		"%E1%88%B4=Value1&Param=Value2&Param-3=Value3\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"868294f5c38bd141c4972a373a76654f1418a8e4fc18b2e7903ae45e8ae0ec71",
		"371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac",
	},
	{
		"get-vanilla-query-unreserved", "GET", "/", "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "example.amazonaws.com",
		{NULL},
		NULL, NULL,
		"GET\n"
		"/\n"
		"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
		"9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
	},
	{
		"get-vanilla-utf8-query", "GET", "/", "\xe1""\x88""\xb4""=bar", "example.amazonaws.com",
		{NULL},
		NULL, NULL,
		"GET\n"
		"/\n"
		"%E1%88%B4=bar\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
		"2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
	},
	{
		"get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "", "example.amazonaws.com",
		{NULL},
		NULL, NULL,
		"GET\n"
		"/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n"
		"\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
		"07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
	},
	{
		"get-utf8", "GET", "/\xe1""\x88""\xb4""", "", "example.amazonaws.com",
		{NULL},
		NULL, NULL,
		"GET\n"
		"/%E1%88%B4\n"
		"\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
		"8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
	},
	{
		"get-space-unnormalized", "GET", "/example space/", "", "example.amazonaws.com",
		{NULL},
		NULL, NULL,
		"GET\n"
		"/example%20space/\n"
		"\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86",
		"652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
	},
	{
		"get-slashes-unnormalized", "GET", "//example//", "", "example.amazonaws.com",
		{NULL},
		NULL, NULL,
		"GET\n"
		"//example//\n"
		"\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"528ec3105ee1f34ab014bb0a1a45da0ed2742a4fea3555149e5b4d5d201eb240",
		"87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5",
	},
	{
		"get-slash-unnormalized", "GET", "//", "", "example.amazonaws.com",
		{NULL},
		NULL, NULL,
		"GET\n"
		"//\n"
		"\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"80cb39203d058af815de2b79250ff56e1b73eb9b4718c86556cdc6f150c5d209",
		"c88bcd3d312d75078c0cd961d6deae3f4c754924b01669efcfcb439fd5e5b76e",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=c88bcd3d312d75078c0cd961d6deae3f4c754924b01669efcfcb439fd5e5b76e",
	},
	{
		"get-slash-dot-slash-unnormalized", "GET", "/./", "", "example.amazonaws.com",
		{NULL},
		NULL, NULL,
		"GET\n"
		"/./\n"
		"\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"d67825e2268bd77a97c7688b8d72c31a3c1855b309808505ba0a9747d2465aa7",
		"68714168e6557f8f2de0ef956fc24dc2593a4bd2961f8df51898d8a134695145",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=68714168e6557f8f2de0ef956fc24dc2593a4bd2961f8df51898d8a134695145",
	},
	{
		"get-slash-pointless-dot-unnormalized", "GET", "/./example", "", "example.amazonaws.com",
		{NULL},
		NULL, NULL,
		"GET\n"
		"/./example\n"
		"\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"73895e0e829507e28e39fd24669aedc2434a8e179e547e3c075b42921f952cdb",
		"beb03f223f7deae4146464f06e29eebbee9c8afbe15c290cf07aa8b119e14cff",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=beb03f223f7deae4146464f06e29eebbee9c8afbe15c290cf07aa8b119e14cff",
	},
	{
		"get-relative-unnormalized", "GET", "/example/..", "", "example.amazonaws.com",
		{NULL},
		NULL, NULL,
		"GET\n"
		"/example/..\n"
		"\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"0511f456aa502b456d135fcb9d749374a55228f9dbeedda1eacf659e05b0615b",
		"eca7ead57bb5aa5c8e28007acd4ff04e1ff9a0ff3b237ec1554a184887ff9282",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=eca7ead57bb5aa5c8e28007acd4ff04e1ff9a0ff3b237ec1554a184887ff9282",
	},
	{
		"get-relative-relative-unnormalized", "GET", "/example1/example2/../..", "", "example.amazonaws.com",
		{NULL},
		NULL, NULL,
		"GET\n"
		"/example1/example2/../..\n"
		"\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"76115030c0f3ff06c20fdff5ceb6d5e0b835a1743e00b94fea7c7f381269437b",
		"dc33e0856fd4baca4d7aa2146c38958283844764f38c74252a333df5e613003b",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=dc33e0856fd4baca4d7aa2146c38958283844764f38c74252a333df5e613003b",
	},
	{
		"get-header-key-duplicate", "GET", "/", "", "example.amazonaws.com",
		{"My-Header1:value2", "My-Header1:value2", "My-Header1:value1", NULL},
		NULL, NULL,
		"GET\n"
		"/\n"
		"\n"
		"host:example.amazonaws.com\n"
		"my-header1:value2,value2,value1\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;my-header1;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
		"c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
	},
	{
		"get-header-value-multiline", "GET", "/", "", "example.amazonaws.com",
		{"My-Header1:value1\n"
		"  value2\n"
		"     value3", NULL},
		NULL, NULL,
		"GET\n"
		"/\n"
		"\n"
		"host:example.amazonaws.com\n"
		"my-header1:value1 value2 value3\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;my-header1;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"e99419459a677bc11de234014be3c4e72c1ea5b454ceb58b613061f5d7a162e8",
		"cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd",
	},
	{
		"get-header-value-order", "GET", "/", "", "example.amazonaws.com",
		{"My-Header1:value4", "My-Header1:value1", "My-Header1:value3", "My-Header1:value2", NULL},
		NULL, NULL,
		"GET\n"
		"/\n"
		"\n"
		"host:example.amazonaws.com\n"
		"my-header1:value4,value1,value3,value2\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;my-header1;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86",
		"08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
	},
	{
		"get-header-value-trim", "GET", "/", "", "example.amazonaws.com",
		{"My-Header1: value1", "My-Header2: \"a   b   c\"", NULL},
		NULL, NULL,
		"GET\n"
		"/\n"
		"\n"
		"host:example.amazonaws.com\n"
		"my-header1:value1\n"
		"my-header2:\"a b c\"\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;my-header1;my-header2;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
		"acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
	},
	{
		"get-vanilla-with-session-token", "GET", "/", "", "example.amazonaws.com",
		{NULL},
		NULL, "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
		"GET\n"
		"/\n"
		"\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"x-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\n"
		"\n"
		"host;x-amz-date;x-amz-security-token\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b",
		"07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
	},
	{
		"post-header-key-case", "POST", "/", "", "example.amazonaws.com",
		{NULL},
		NULL, NULL,
		"POST\n"
		"/\n"
		"\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
		"5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
	},
	{
		"post-header-key-sort", "POST", "/", "", "example.amazonaws.com",
		{"My-Header1:value1", NULL},
		NULL, NULL,
		"POST\n"
		"/\n"
		"\n"
		"host:example.amazonaws.com\n"
		"my-header1:value1\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;my-header1;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65",
		"c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
	},
	{
		"post-header-value-case", "POST", "/", "", "example.amazonaws.com",
		{"My-Header1:VALUE1", NULL},
		NULL, NULL,
		"POST\n"
		"/\n"
		"\n"
		"host:example.amazonaws.com\n"
		"my-header1:VALUE1\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;my-header1;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93",
		"cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
	},
	{
		"post-sts-header-before", "POST", "/", "", "example.amazonaws.com",
		{NULL},
		NULL, "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==",
		"POST\n"
		"/\n"
		"\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"x-amz-security-token:AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==\n"
		"\n"
		"host;x-amz-date;x-amz-security-token\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
		"85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
	},
	{
		"post-vanilla", "POST", "/", "", "example.amazonaws.com",
		{NULL},
		NULL, NULL,
		"POST\n"
		"/\n"
		"\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
		"5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
	},
	{
		"post-vanilla-empty-query-value", "POST", "/", "Param1=value1", "example.amazonaws.com",
		{NULL},
		NULL, NULL,
		"POST\n"
		"/\n"
		"Param1=value1\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
		"28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
	},
	{
		"post-vanilla-query", "POST", "/", "Param1=value1", "example.amazonaws.com",
		{NULL},
		NULL, NULL,
		"POST\n"
		"/\n"
		"Param1=value1\n"
		"host:example.amazonaws.com\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"host;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
		"28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
	},
	{
		"post-x-www-form-urlencoded", "POST", "/", "", "example.amazonaws.com",
		{"Content-Type:application/x-www-form-urlencoded", "Content-Length:13", NULL},
		"Param1=value1", NULL,
		"POST\n"
		"/\n"
		"\n"
		"content-length:13\n"
		"content-type:application/x-www-form-urlencoded\n"
		"host:example.amazonaws.com\n"
		"x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"content-length;content-type;host;x-amz-content-sha256;x-amz-date\n"
		"9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb",
		"d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b",
	},
	{
		"post-x-www-form-urlencoded-parameters", "POST", "/", "", "example.amazonaws.com",
		{"Content-Type:application/x-www-form-urlencoded; charset=utf-8", "Content-Length:13", NULL},
		"Param1=value1", NULL,
		"POST\n"
		"/\n"
		"\n"
		"content-length:13\n"
		"content-type:application/x-www-form-urlencoded; charset=utf-8\n"
		"host:example.amazonaws.com\n"
		"x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n"
		"x-amz-date:20150830T123600Z\n"
		"\n"
		"content-length;content-type;host;x-amz-content-sha256;x-amz-date\n"
		"9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
		"AWS4-HMAC-SHA256\n"
		"20150830T123600Z\n"
		"20150830/us-east-1/service/aws4_request\n"
		"a89f1a5b53e37702ee6363ce1da3ce8f54386f3c8f352ae652153c2982a0bc4d",
		"328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422",
	},
};

static void run_suite_case(const struct suite_case *t)
{
	char *path = sigv4_uri_encode(t->path, false), *creq = NULL, *sts = NULL;
	char body_sha[65], sig[65];
	struct sigv4_creds c = suite_creds;
	struct sigv4_request r = {
		.method = t->method, .host = t->host, .path = path, .query = t->query,
		.headers = t->headers, .region = "us-east-1", .service = "service", .when = SUITE_TIME,
	};
	c.session_token = t->token;
	if (t->body) {
		CHECK(sigv4_sha256_hex(t->body, strlen(t->body), body_sha) == 0);
		r.payload_sha256_hex = body_sha;
	}
	fprintf(stderr, "suite case %s\n", t->name);
	CHECK(sigv4_canonical_request(&c, &r, &creq, NULL) == 0);
	CHECK_STR(creq, t->creq);
	CHECK(sigv4_string_to_sign(&r, t->creq, &sts) == 0);
	CHECK_STR(sts, t->sts);
	CHECK(sigv4_signature(&c, &r, sig) == 0);
	CHECK_STR(sig, t->sig);

	char **h = NULL;
	size_t n = 0;
	CHECK(sigv4_sign(&c, &r, &h, &n) == 0);
	CHECK(n >= 2);
	const char *auth = n ? h[n - 1] : NULL;
	CHECK(str_startswith(auth, "Authorization: "));
	CHECK_STR(auth ? auth + strlen("Authorization: ") : NULL, t->authorization);
	CHECK_STR(n ? h[0] : NULL, "x-amz-date: 20150830T123600Z");
	sigv4_headers_free(h, n);
	free(creq);
	free(sts);
	free(path);
}

/* The S3 documentation examples (sig-v4-header-based-auth.html). */
struct s3doc_case {
	const char *name, *method, *path, *query;
	const char *headers[4];
	const char *payload_sha;
	const char *creq, *sts, *sig, *signed_headers;
};

static const struct s3doc_case s3doc[] = {
	{
		"GET Object", "GET", "/test.txt", NULL,
		{"Range: bytes=0-9", NULL},
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"GET\n"
		"/test.txt\n"
		"\n"
		"host:examplebucket.s3.amazonaws.com\n"
		"range:bytes=0-9\n"
		"x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
		"x-amz-date:20130524T000000Z\n"
		"\n"
		"host;range;x-amz-content-sha256;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20130524T000000Z\n"
		"20130524/us-east-1/s3/aws4_request\n"
		"7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
		"f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
		"host;range;x-amz-content-sha256;x-amz-date",
	},
	{
		"PUT Object", "PUT", "/test$file.text", NULL,
		{"Date: Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class: REDUCED_REDUNDANCY", NULL},
		"44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
		"PUT\n"
		"/test%24file.text\n"
		"\n"
		"date:Fri, 24 May 2013 00:00:00 GMT\n"
		"host:examplebucket.s3.amazonaws.com\n"
		"x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
		"x-amz-date:20130524T000000Z\n"
		"x-amz-storage-class:REDUCED_REDUNDANCY\n"
		"\n"
		"date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
		"44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
		"AWS4-HMAC-SHA256\n"
		"20130524T000000Z\n"
		"20130524/us-east-1/s3/aws4_request\n"
		"9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
		"98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
		"date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
	},
	{
		"GET Bucket Lifecycle", "GET", "/", "lifecycle",
		{NULL},
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"GET\n"
		"/\n"
		"lifecycle=\n"
		"host:examplebucket.s3.amazonaws.com\n"
		"x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
		"x-amz-date:20130524T000000Z\n"
		"\n"
		"host;x-amz-content-sha256;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20130524T000000Z\n"
		"20130524/us-east-1/s3/aws4_request\n"
		"9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
		"fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
		"host;x-amz-content-sha256;x-amz-date",
	},
	{
		"GET Bucket (List Objects)", "GET", "/", "max-keys=2&prefix=J",
		{NULL},
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"GET\n"
		"/\n"
		"max-keys=2&prefix=J\n"
		"host:examplebucket.s3.amazonaws.com\n"
		"x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
		"x-amz-date:20130524T000000Z\n"
		"\n"
		"host;x-amz-content-sha256;x-amz-date\n"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"AWS4-HMAC-SHA256\n"
		"20130524T000000Z\n"
		"20130524/us-east-1/s3/aws4_request\n"
		"df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
		"34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
		"host;x-amz-content-sha256;x-amz-date",
	},
};

static void run_s3doc_case(const struct s3doc_case *t, const char *query)
{
	char *path = sigv4_uri_encode(t->path, false), *creq = NULL, *sts = NULL, *sh = NULL;
	char sig[65];
	struct sigv4_request r = {
		.method = t->method, .host = "examplebucket.s3.amazonaws.com", .path = path,
		.query = query, .headers = t->headers, .payload_sha256_hex = t->payload_sha,
		.region = "us-east-1", .service = "s3", .when = S3DOC_TIME,
	};
	fprintf(stderr, "S3 doc example %s (query %s)\n", t->name, query ? query : "-");
	CHECK(sigv4_canonical_request(&s3doc_creds, &r, &creq, &sh) == 0);
	CHECK_STR(creq, t->creq);
	CHECK_STR(sh, t->signed_headers);
	CHECK(sigv4_string_to_sign(&r, t->creq, &sts) == 0);
	CHECK_STR(sts, t->sts);
	CHECK(sigv4_signature(&s3doc_creds, &r, sig) == 0);
	CHECK_STR(sig, t->sig);

	char **h = NULL, *want = NULL;
	size_t n = 0;
	CHECK(sigv4_sign(&s3doc_creds, &r, &h, &n) == 0);
	CHECK(n == 3);
	if (n == 3) {
		CHECK_STR(h[0], "x-amz-date: 20130524T000000Z");
		want = xasprintf("x-amz-content-sha256: %s", t->payload_sha);
		CHECK_STR(h[1], want);
		free(want);
		/* The documentation writes "Credential=...,SignedHeaders=...,Signature=..."
		 * without blanks; AWS accepts both, ucfs writes ", " like the suite. */
		want = xasprintf("Authorization: AWS4-HMAC-SHA256 "
				 "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
				 "SignedHeaders=%s, Signature=%s", t->signed_headers, t->sig);
		CHECK_STR(h[2], want);
		free(want);
	}
	sigv4_headers_free(h, n);
	free(creq);
	free(sts);
	free(sh);
	free(path);
}

static void bad_request(const char *const *headers, const char *query, const char *region)
{
	struct sigv4_request r = {
		.method = "GET", .host = "h", .path = "/", .query = query, .headers = headers,
		.region = region, .service = "s3", .when = S3DOC_TIME,
	};
	char *creq = (char *)"untouched", **h = (char **)&creq;
	size_t n = 7;
	CHECK(sigv4_canonical_request(&s3doc_creds, &r, &creq, NULL) == -EINVAL);
	CHECK(creq == NULL);
	CHECK(sigv4_sign(&s3doc_creds, &r, &h, &n) == -EINVAL);
	CHECK(h == NULL && n == 0);
}

int main(void)
{
	char hex[65];
	unsigned char key[32];

	for (size_t i = 0; i < sizeof(suite) / sizeof(*suite); i++)
		run_suite_case(&suite[i]);
	for (size_t i = 0; i < sizeof(s3doc) / sizeof(*s3doc); i++)
		run_s3doc_case(&s3doc[i], s3doc[i].query);
	/* The List Objects example sends "?max-keys=2&prefix=J"; the canonical
	 * query is sorted whatever order the wire has. */
	run_s3doc_case(&s3doc[3], "prefix=J&max-keys=2");

	/* IAM User Guide, deriving a signing key: kSigning for 20150830/us-east-1/iam. */
	CHECK(sigv4_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam",
				key) == 0);
	for (size_t i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", key[i]);
	CHECK_STR(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");

	/* SHA-256 of "" and of the S3 PUT Object example's body (both in the S3 docs). */
	CHECK(sigv4_sha256_hex("", 0, hex) == 0);
	CHECK_STR(hex, SIGV4_EMPTY_SHA256);
	CHECK(sigv4_sha256_hex("Welcome to Amazon S3.", 21, hex) == 0);
	CHECK_STR(hex, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");

	/* Encoding: the suite's canonical forms for a space, UTF-8 and unreserved
	 * characters (get-space-*, get-utf8, get-unreserved) and the S3 doc's "$". */
	char *e = sigv4_uri_encode("/example space/\xe1\x88\xb4$-._~", false);
	CHECK_STR(e, "/example%20space/%E1%88%B4%24-._~");
	free(e);
	e = sigv4_uri_encode("a/b c+d=e&f", true);
	CHECK_STR(e, "a%2Fb%20c%2Bd%3De%26f");
	free(e);
	/* Canonical query: the suite's get-vanilla-query-order-encoded. */
	CHECK(sigv4_canonical_query("Param-3=Value3&Param=Value2&%E1%88%B4=Value1", &e) == 0);
	CHECK_STR(e, "%E1%88%B4=Value1&Param=Value2&Param-3=Value3");
	free(e);
	/* Lowercase escapes, empty segments and a '+' (literal plus, never a space). */
	CHECK(sigv4_canonical_query("prefix=a%2fb+c&&continuation-token=x%3d%3d&list-type=2", &e) == 0);
	CHECK_STR(e, "continuation-token=x%3D%3D&list-type=2&prefix=a%2Fb%2Bc");
	free(e);
	CHECK(sigv4_canonical_query(NULL, &e) == 0);
	CHECK_STR(e, "");
	free(e);
	CHECK(sigv4_canonical_query("a=%zz", &e) == -EINVAL);
	CHECK(e == NULL);
	CHECK(sigv4_canonical_query("a=%4", &e) == -EINVAL);

	/* Contract: for s3 without a payload hash, UNSIGNED-PAYLOAD is sent and signed. */
	struct sigv4_request r = {.method = "GET", .host = "b.s3.amazonaws.com", .path = "/k",
				  .region = "eu-west-1", .service = "s3", .when = S3DOC_TIME};
	char *creq = NULL;
	CHECK(sigv4_canonical_request(&s3doc_creds, &r, &creq, NULL) == 0);
	CHECK(str_endswith(creq, "\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:20130524T000000Z\n\n"
				 "host;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD"));
	free(creq);
	/* ... and with a session token it is sent and signed, never the secret. */
	struct sigv4_creds tok = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "TOKEN"};
	char **h = NULL;
	size_t n = 0;
	CHECK(sigv4_sign(&tok, &r, &h, &n) == 0);
	CHECK(n == 4);
	if (n == 4) {
		CHECK_STR(h[1], "x-amz-content-sha256: UNSIGNED-PAYLOAD");
		CHECK_STR(h[2], "x-amz-security-token: TOKEN");
		CHECK(strstr(h[3], "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,") != NULL);
		for (size_t i = 0; i < n; i++)
			CHECK(strstr(h[i], tok.secret_access_key) == NULL);
	}
	sigv4_headers_free(h, n);

	const char *no_colon[] = {"Range bytes=0-9", NULL};
	const char *empty_name[] = {": x", NULL};
	const char *bad_name[] = {"Ra nge: x", NULL};
	const char *dup_host[] = {"Host: other", NULL};
	const char *dup_date[] = {"X-Amz-Date: 20990101T000000Z", NULL};
	const char *auth[] = {"authorization: x", NULL};
	bad_request(no_colon, NULL, "us-east-1");
	bad_request(empty_name, NULL, "us-east-1");
	bad_request(bad_name, NULL, "us-east-1");
	bad_request(dup_host, NULL, "us-east-1");
	bad_request(dup_date, NULL, "us-east-1");
	bad_request(auth, NULL, "us-east-1");
	bad_request(NULL, "prefix=%", "us-east-1");
	bad_request(NULL, NULL, NULL);
	bad_request(NULL, NULL, "");
	/* nothing vended may break a header line */
	struct sigv4_creds crlf = {"AKIAIOSFODNN7EXAMPLE", "secret", "tok\r\nX-Injected: 1"};
	CHECK(sigv4_sign(&crlf, &r, &h, &n) == -EINVAL);
	CHECK(h == NULL && n == 0);
	CHECK(sigv4_canonical_request(&crlf, &r, &creq, NULL) == -EINVAL);
	struct sigv4_request sp = r;
	sp.host = "b.s3.amazonaws.com\r\nX: y";
	CHECK(sigv4_sign(&tok, &sp, &h, &n) == -EINVAL);
	struct sigv4_creds nokey = {NULL, "s", NULL};
	CHECK(sigv4_sign(&nokey, &r, &h, &n) == -EINVAL);
	CHECK(sigv4_signature(NULL, &r, hex) == -EINVAL);
	return check_done();
}
