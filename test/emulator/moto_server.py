"""Starts moto's server after restoring the AWS behaviours it deviates from.

Usage: python3 moto_server.py [--host 127.0.0.1] [--port 0]
Prints "listening on <port>" once it serves, then serves until killed.

Each patch below restores what an AWS document states; none adapts moto to the tool under test.
"""

import argparse
import json
import os
import re
import sys
import threading

# AWS accounts come with the AWS managed policies; moto loads them only on request.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from moto.apigateway import models as apigateway_models  # noqa: E402
from moto.apigateway.exceptions import RestAPINotFound  # noqa: E402
from moto.awslambda import models as lambda_models  # noqa: E402
from moto.awslambda import policy as lambda_policy  # noqa: E402
from moto.awslambda import responses as lambda_responses  # noqa: E402
from moto.awslambda.exceptions import (  # noqa: E402
    ConflictException,
    InvalidParameterValueException,
    LambdaClientError,
    PreconditionFailedException,
)
from moto.dynamodb import responses as dynamodb_responses  # noqa: E402
from moto.dynamodb.exceptions import MockValidationException  # noqa: E402
from moto.dynamodb.models.table import Table as DynamoTable  # noqa: E402
from moto.iam import access_control, policy_conditions  # noqa: E402
from moto.moto_server.threaded_moto_server import (  # noqa: E402
    DomainDispatcherApplication,
    create_backend_app,
)
from moto.s3 import models as s3_models  # noqa: E402
from moto.s3 import exceptions as s3_exceptions  # noqa: E402
from moto.s3 import responses as s3_responses  # noqa: E402
from moto.wafv2 import exceptions as wafv2_exceptions  # noqa: E402
from moto.wafv2 import models as wafv2_models  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402


def patch_statement_conditions() -> None:
    """A statement whose condition does not hold does not apply (moto answers Deny).

    "If a condition ... is not met, the statement does not apply": the request is neither
    allowed nor denied by it.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    """
    statement = access_control.IAMPolicyStatement
    original = statement.is_action_permitted

    def is_action_permitted(self, action, resource="*", principal=None, incoming=None):  # type: ignore[no-untyped-def]
        if self._statement.get("Condition") and not self._check_conditions(incoming):
            return access_control.PermissionResult.NEUTRAL
        return original(self, action, resource, principal, incoming)

    statement.is_action_permitted = is_action_permitted


def patch_bool_condition() -> None:
    """The Bool operator is evaluated (moto skips operators it does not know).

    Bool compares a context key with "true" or "false", case-insensitively.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Boolean
    """

    def bool_equals(expected, actual) -> bool:  # type: ignore[no-untyped-def]
        wanted = expected if isinstance(expected, list) else [expected]
        return str(actual).lower() in [str(w).lower() for w in wanted]

    policy_conditions.CONDITION_OPERATIONS["Bool"] = bool_equals


def patch_s3_secure_transport() -> None:
    """Requests to AWS arrive over TLS, so aws:SecureTransport is true in bucket policies.

    moto passes no request context to bucket-policy evaluation; the tests reach it over plain
    HTTP on loopback, standing in for AWS's HTTPS endpoints.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-securetransport
    """
    bucket = s3_models.FakeBucket

    def get_permission(self, action, resource):  # type: ignore[no-untyped-def]
        if self.policy is None:
            return access_control.PermissionResult.NEUTRAL
        policy = access_control.IAMPolicy(self.policy.decode())
        return policy.is_action_permitted(
            action, resource, incoming_condition_values={"aws:SecureTransport": "true"}
        )

    bucket.get_permission = get_permission


def patch_lambda_logging_and_tracing() -> None:
    """Lambda keeps LoggingConfig, and UpdateFunctionConfiguration applies TracingConfig and
    LoggingConfig (moto drops the first and ignores both in updates).

    LoggingConfig defaults to LogFormat Text and the group /aws/lambda/<function name>.
    https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html#lambda-CreateFunction-request-LoggingConfig
    https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html
    https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html
    """
    function = lambda_models.LambdaFunction
    original_init = function.__init__
    original_get = function.get_configuration
    original_update = function.update_configuration

    def __init__(self, account_id, spec, region, version=1):  # type: ignore[no-untyped-def]
        original_init(self, account_id, spec, region, version)
        self.logging_config = logging_config(self, spec.get("LoggingConfig"))

    def get_configuration(self, on_create=False):  # type: ignore[no-untyped-def]
        config = original_get(self, on_create)
        config["LoggingConfig"] = self.logging_config
        return config

    def update_configuration(self, updates):  # type: ignore[no-untyped-def]
        if "TracingConfig" in updates:
            self.tracing_config = {"Mode": updates["TracingConfig"].get("Mode", "PassThrough")}
        if "LoggingConfig" in updates:
            self.logging_config = logging_config(
                self, {**self.logging_config, **updates["LoggingConfig"]}
            )
        return original_update(self, updates)

    def logging_config(self, given):  # type: ignore[no-untyped-def]
        config = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{self.function_name}"}
        config.update({k: v for k, v in (given or {}).items() if v is not None})
        return config

    function.__init__ = __init__
    function.get_configuration = get_configuration
    function.update_configuration = update_configuration


def patch_lambda_duplicate_statement_id() -> None:
    """AddPermission with a statement id the policy already has fails (moto adds a duplicate).

    "ResourceConflictException: The resource already exists" (HTTP 409); the message AWS sends
    is "The statement id (<sid>) provided already exists. Please provide a new statement id, or
    remove the existing statement."
    https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html#API_AddPermission_Errors
    """
    policy = lambda_policy.Policy
    original = policy.add_statement

    class StatementIdExists(LambdaClientError):
        code = 409

        def __init__(self, sid: str) -> None:
            super().__init__(
                "ResourceConflictException",
                f"The statement id ({sid}) provided already exists. Please provide a new "
                "statement id, or remove the existing statement.",
            )

    def add_statement(self, raw, qualifier=None):  # type: ignore[no-untyped-def]
        sid = json.loads(raw).get("StatementId") or json.loads(raw).get("Sid")
        if sid and any(s.get("Sid") == sid for s in self.statements):
            raise StatementIdExists(sid)
        return original(self, raw, qualifier)

    policy.add_statement = add_statement


def patch_apigateway_delete_missing_api() -> None:
    """DeleteRestApi of an API that does not exist answers NotFoundException (moto fails with
    an HTML 500): what a retried delete whose first response was lost meets.

    https://docs.aws.amazon.com/apigateway/latest/api/API_DeleteRestApi.html#API_DeleteRestApi_Errors
    """
    backend = apigateway_models.APIGatewayBackend
    original = backend.delete_rest_api

    def delete_rest_api(self, function_id):  # type: ignore[no-untyped-def]
        if function_id not in self.apis:
            raise RestAPINotFound()
        return original(self, function_id)

    backend.delete_rest_api = delete_rest_api


def patch_dynamodb_on_demand_throughput() -> None:
    """CreateTable and UpdateTable keep OnDemandThroughput, and DescribeTable returns it (moto
    ignores it).

    Each member is a maximum of 1 or more, or -1 to remove the maximum set; UpdateTable changes
    only the members it is given. The TableDescription carries the maxima that are set.
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html#DDB-CreateTable-request-OnDemandThroughput
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html#DDB-UpdateTable-request-OnDemandThroughput
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TableDescription.html#DDB-Type-TableDescription-OnDemandThroughput
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_OnDemandThroughput.html
    """
    members = ("MaxReadRequestUnits", "MaxWriteRequestUnits")
    handler = dynamodb_responses.DynamoHandler
    original_create = handler.create_table
    original_update = handler.update_table
    original_describe = DynamoTable.describe

    def given(body):  # type: ignore[no-untyped-def]
        throughput = body.get("OnDemandThroughput")
        for m in members:
            v = (throughput or {}).get(m)
            if v is not None and not (int(v) >= 1 or int(v) == -1):
                raise MockValidationException(
                    f"One or more parameter values were invalid: Requested {m} for "
                    "OnDemandThroughput for table is outside of valid range"
                )
        return throughput

    def apply(table, throughput):  # type: ignore[no-untyped-def]
        current = dict(getattr(table, "on_demand_throughput", {}))
        for m in members:
            v = (throughput or {}).get(m)
            if v is not None and int(v) == -1:
                current.pop(m, None)
            elif v is not None:
                current[m] = int(v)
        table.on_demand_throughput = current

    def create_table(self):  # type: ignore[no-untyped-def]
        throughput = given(self.body)
        original_create(self)
        table = self.dynamodb_backend.get_table(self.body["TableName"])
        apply(table, throughput)
        return dynamodb_responses.DynamoResult(table.describe())

    def update_table(self):  # type: ignore[no-untyped-def]
        throughput = given(self.body)
        original_update(self)
        table = self.dynamodb_backend.get_table(self.body["TableName"])
        apply(table, throughput)
        return dynamodb_responses.DynamoResult(table.describe())

    def describe(self, base_key="TableDescription"):  # type: ignore[no-untyped-def]
        result = original_describe(self, base_key)
        throughput = getattr(self, "on_demand_throughput", {})
        if throughput:
            result[base_key]["OnDemandThroughput"] = dict(throughput)
        return result

    handler.create_table = create_table
    handler.update_table = update_table
    DynamoTable.describe = describe

def patch_wafv2_associations() -> None:
    """A resource has at most one web ACL, an association goes with its resource, and a web ACL
    that protects a resource cannot be deleted (moto keeps every association it was given, even
    twice or of a deleted stage, and deletes an associated web ACL).

    "You can associate each AWS resource with only one web ACL."
    https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-associating-aws-resource.html
    DeleteWebACL: "Before deleting any web ACL, first disassociate it from all resources";
    WAFAssociatedItemException: "your resource is being used by another resource or it's
    associated with another resource".
    https://docs.aws.amazon.com/waf/latest/APIReference/API_DeleteWebACL.html
    GetWebACLForResource of a resource that does not exist: WAFNonexistentItemException
    ("your resource doesn't exist").
    https://docs.aws.amazon.com/waf/latest/APIReference/API_GetWebACLForResource.html
    """
    backend = wafv2_models.WAFV2Backend
    original_associate = backend.associate_web_acl
    original_delete = backend.delete_web_acl
    original_get_for_resource = backend.get_web_acl_for_resource

    class AssociatedItem(wafv2_exceptions.WAFv2ClientError):
        def __init__(self) -> None:
            super().__init__(
                "WAFAssociatedItemException",
                "AWS WAF couldn’t perform the operation because your resource is being used by "
                "another resource or it’s associated with another resource.",
            )

    def gone(self, resource_arn):  # type: ignore[no-untyped-def]
        """An API Gateway stage that no longer exists (the only resource type the tool uses)."""
        is_stage = re.search(wafv2_models.APIGATEWAY_REGEX, resource_arn) is not None
        return is_stage and self._find_apigw_stage(resource_arn) is None

    def prune(self):  # type: ignore[no-untyped-def]
        for acl in self.wacls.values():
            acl.associated_resources = list(
                dict.fromkeys(r for r in acl.associated_resources if not gone(self, r))
            )

    def associate_web_acl(self, web_acl_arn, resource_arn):  # type: ignore[no-untyped-def]
        if web_acl_arn in self.wacls:
            for acl in self.wacls.values():
                acl.associated_resources = [
                    r for r in acl.associated_resources if r != resource_arn
                ]
        return original_associate(self, web_acl_arn, resource_arn)

    def delete_web_acl(self, name, scope, _id, lock_token):  # type: ignore[no-untyped-def]
        prune(self)
        for acl in self.wacls.values():
            if acl.name == name and acl.id == _id and acl.associated_resources:
                raise AssociatedItem()
        return original_delete(self, name, scope, _id, lock_token)

    def get_web_acl_for_resource(self, resource_arn):  # type: ignore[no-untyped-def]
        prune(self)
        if gone(self, resource_arn):
            raise wafv2_exceptions.WAFNonexistentItemException()
        return original_get_for_resource(self, resource_arn)

    backend.associate_web_acl = associate_web_acl
    backend.delete_web_acl = delete_web_acl
    backend.get_web_acl_for_resource = get_web_acl_for_resource


def patch_wafv2_duplicate_code() -> None:
    """CreateWebACL with a name in use fails with WAFDuplicateItemException (moto sends the code
    "WafV2DuplicateItem", which no SDK knows).

    https://docs.aws.amazon.com/waf/latest/APIReference/API_CreateWebACL.html#API_CreateWebACL_Errors
    """
    duplicate = wafv2_exceptions.WAFV2DuplicateItemException

    def __init__(self) -> None:  # type: ignore[no-untyped-def]
        wafv2_exceptions.WAFv2ClientError.__init__(
            self,
            "WAFDuplicateItemException",
            "AWS WAF could not perform the operation because some resource in your request is a "
            "duplicate of an existing one.",
        )

    duplicate.__init__ = __init__


def patch_s3_atomic_conditional_writes() -> None:
    """Of concurrent conditional writes to one key, exactly one succeeds (moto's threaded server
    checks the condition and writes in two steps, so two PutObject calls with If-None-Match: *
    can both succeed: seen in 6 of 150 races of 20 writers).

    "If multiple conditional writes occur for the same object name, the first write operation
    to finish succeeds. Amazon S3 then fails subsequent writes with a 412 Precondition Failed
    response." Conditional deletes (DeleteObject with If-Match) are checked the same way.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html
    """
    response = s3_responses.S3Response
    lock = threading.Lock()
    for name in ("put_object", "delete_object"):
        original = getattr(response, name)

        def serialized(self, *args, _original=original, **kwargs):  # type: ignore[no-untyped-def]
            # Every write to an object, so none lands between another's check and its write.
            with lock:
                return _original(self, *args, **kwargs)

        setattr(response, name, serialized)


def patch_s3_create_bucket_tags() -> None:
    """CreateBucket applies the tags in CreateBucketConfiguration (moto ignores them).

    "Tags: An array of tags that you can apply to the bucket that you're creating."
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html#API_CreateBucket_RequestSyntax
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucketConfiguration.html
    """
    import xmltodict  # noqa: PLC0415 (moto's own dependency)

    response = s3_responses.S3Response
    original = response._bucket_response_put

    def _bucket_response_put(self, request, bucket_name, querystring):  # type: ignore[no-untyped-def]
        result = original(self, request, bucket_name, querystring)
        if querystring or not self.body:
            return result
        try:
            configuration = xmltodict.parse(self.body, force_list={"Tag": True}).get(
                "CreateBucketConfiguration"
            )
        except Exception:  # noqa: BLE001 (not XML: not a configuration)
            return result
        tag_set = (configuration or {}).get("Tags") or {}
        tags = {t["Key"]: t.get("Value") or "" for t in tag_set.get("Tag", [])}
        if tags:
            self.backend.put_bucket_tagging(bucket_name, tags)
        return result

    response._bucket_response_put = _bucket_response_put


def patch_s3_expected_bucket_owner() -> None:
    """A request whose x-amz-expected-bucket-owner names another account than the bucket's
    owner is refused with 403 AccessDenied (moto ignores the header and serves it).

    "If the bucket is owned by a different account, the request fails with the HTTP status
    code 403 Forbidden (access denied)." The condition applies to every S3 operation on the
    bucket and its objects that accepts the parameter; a bucket that does not exist is still
    answered as missing.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html
    """
    response = s3_responses.S3Response

    def refused(self, request, full_url) -> bool:  # type: ignore[no-untyped-def]
        expected = request.headers.get("x-amz-expected-bucket-owner")
        if not expected:
            return False
        bucket_name = self.parse_bucket_name_from_url(request, full_url)
        owner = s3_models.s3_backends.bucket_accounts.get(bucket_name) if bucket_name else None
        return owner is not None and owner[1] != expected

    for name in ("_bucket_response", "_key_response"):
        original = getattr(response, name)

        def checked(self, request, full_url, _original=original):  # type: ignore[no-untyped-def]
            if refused(self, request, full_url):
                # Raised where moto renders S3 errors: the same XML body S3 sends (none on HEAD).
                raise s3_exceptions.S3AccessDeniedError()
            return _original(self, request, full_url)

        setattr(response, name, checked)


def patch_lambda_versions_and_aliases() -> None:
    """Versions and aliases as the Lambda API reference describes them, where moto differs:

    - a function's configuration carries a RevisionId that changes with every change (moto has
      none), and PublishVersion refuses a CodeSha256 or RevisionId other than $LATEST's (moto
      ignores both): InvalidParameterValueException / PreconditionFailedException (412);
      https://docs.aws.amazon.com/lambda/latest/api/API_PublishVersion.html#lambda-PublishVersion-request-CodeSha256
      https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html#lambda-Type-FunctionConfiguration-RevisionId
    - version numbers are never reused (moto numbers a version by how many there are);
      https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html
    - CreateAlias of an alias that exists fails with ResourceConflictException (moto:
      ConflictException); UpdateAlias refuses a stale RevisionId (412) and gives a new one;
      https://docs.aws.amazon.com/lambda/latest/api/API_CreateAlias.html#API_CreateAlias_Errors
      https://docs.aws.amazon.com/lambda/latest/api/API_UpdateAlias.html#lambda-UpdateAlias-request-RevisionId
    - DeleteFunction of a version an alias points or routes to fails with
      ResourceConflictException "Unable to delete version because the following aliases
      reference it: [...]" (moto deletes it and leaves the alias dangling);
      https://docs.aws.amazon.com/lambda/latest/api/API_DeleteFunction.html#API_DeleteFunction_Errors
    - AddPermission, GetPolicy and RemovePermission with a qualifier work on the resource policy
      of that version or alias, apart from the function's (moto shares one policy).
      https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html#lambda-AddPermission-request-Qualifier
    """
    function = lambda_models.LambdaFunction
    storage = lambda_models.LambdaStorage
    backend = lambda_models.LambdaBackend
    response = lambda_responses.LambdaResponse
    new_id = lambda: str(lambda_models.random.uuid4())

    class ResourceConflict(LambdaClientError):
        code = 409

        def __init__(self, message: str) -> None:
            super().__init__("ResourceConflictException", message)

    # A RevisionId on every function, new with every change.
    original_init = function.__init__
    original_get = function.get_configuration
    original_update_config = function.update_configuration
    original_update_code = function.update_function_code

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original_init(self, *args, **kwargs)
        self.revision_id = new_id()

    def get_configuration(self, on_create=False):  # type: ignore[no-untyped-def]
        config = original_get(self, on_create)
        config["RevisionId"] = self.revision_id
        return config

    def update_configuration(self, updates):  # type: ignore[no-untyped-def]
        result = original_update_config(self, updates)
        self.revision_id = new_id()
        return result

    def update_function_code(self, updated_spec):  # type: ignore[no-untyped-def]
        result = original_update_code(self, updated_spec)
        self.revision_id = new_id()
        return result

    function.__init__ = __init__
    function.get_configuration = get_configuration
    function.update_configuration = update_configuration
    function.update_function_code = update_function_code

    # PublishVersion's preconditions, and numbers never reused.
    original_publish_response = response.publish_version

    def publish_version_response(self):  # type: ignore[no-untyped-def]
        name = lambda_responses.unquote(self.path.split("/")[-2])
        latest = self.backend.get_function(name)
        sha, revision = self._get_param("CodeSha256"), self._get_param("RevisionId")
        if sha is not None and sha != latest.code_sha_256:
            raise InvalidParameterValueException(
                f"CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST "
                f"({latest.code_sha_256}). Please try again with the current CodeSHA256."
            )
        if revision is not None and revision != latest.revision_id:
            raise PreconditionFailedException(
                "The Revision Id provided does not match the latest Revision Id. Call the "
                "GetFunction/GetAlias API to retrieve the latest Revision Id"
            )
        return original_publish_response(self)

    response.publish_version = publish_version_response

    def publish_version(self, name_or_arn, description=""):  # type: ignore[no-untyped-def]
        fn = self.get_function_by_name_or_arn_forbid_qualifier(name_or_arn)
        group = self._functions.get(fn.function_name)
        if not group or not group["latest"]:
            return None
        versions = group["versions"]
        if versions and not fn.code_or_config_updated:
            return versions[-1]
        fn.code_or_config_updated = False
        numbers = getattr(self, "published_numbers", {})
        self.published_numbers = numbers
        number = max([numbers.get(fn.function_name, 0)] + [int(v.version) for v in versions]) + 1
        numbers[fn.function_name] = number
        version = lambda_models.copy.copy(group["latest"])
        version.set_version(number)
        if description:
            version.description = description
        versions.append(version)
        self._arns[version.function_arn] = version
        return version

    storage.publish_version = publish_version

    # Aliases: the error CreateAlias gives, and UpdateAlias's revision.
    original_put_alias = storage.put_alias

    def put_alias(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return original_put_alias(self, *args, **kwargs)
        except ConflictException as err:
            raise ResourceConflict(err.message) from err

    storage.put_alias = put_alias
    original_update_alias_response = response.update_alias

    def update_alias_response(self):  # type: ignore[no-untyped-def]
        name = lambda_responses.unquote(self.path.rsplit("/")[-3])
        alias_name = lambda_responses.unquote(self.path.rsplit("/", 2)[-1])
        revision = json.loads(self.body).get("RevisionId")
        alias = self.backend.get_alias(name=alias_name, function_name=name)
        if revision is not None and revision != alias.revision_id:
            raise PreconditionFailedException(
                "The Revision Id provided does not match the latest Revision Id. Call the "
                "GetFunction/GetAlias API to retrieve the latest Revision Id"
            )
        result = original_update_alias_response(self)
        alias.revision_id = new_id()
        return result[0], result[1], json.dumps(alias.to_json())

    response.update_alias = update_alias_response

    # A version an alias uses stays.
    original_del_function = storage.del_function

    def del_function(self, name_or_arn, qualifier=None):  # type: ignore[no-untyped-def]
        is_arn = name_or_arn.startswith("arn:")
        base, _, named = (name_or_arn, "", "") if is_arn else name_or_arn.partition(":")
        q = qualifier or named or None
        if q and q.isdigit():
            fn = self.get_function_by_name_or_arn_forbid_qualifier(base)
            arn = fn.function_arn
            using = [
                a.name
                for a in self._aliases.get(arn, {}).values()
                if a.function_version == q
                or q in ((a.routing_config or {}).get("AdditionalVersionWeights") or {})
            ]
            if using:
                raise ResourceConflict(
                    "Unable to delete version because the following aliases reference it: "
                    f"[{', '.join(using)}]"
                )
        return original_del_function(self, name_or_arn, qualifier)

    storage.del_function = del_function

    # Resource policies of versions and aliases, each its own.
    def qualified(self, name, qualifier):  # type: ignore[no-untyped-def]
        if not name.startswith("arn:") and ":" in name:
            name, qualifier = name.split(":", 1)
        if qualifier in (None, "", "$LATEST"):
            return None
        latest = self._lambdas.get_function_by_name_or_arn_forbid_qualifier(name)
        # Raises ResourceNotFoundException for a version or alias that does not exist.
        self._lambdas.get_function_by_name_or_arn_with_qualifier(latest.function_name, qualifier)
        policies = getattr(self, "qualified_policies", {})
        self.qualified_policies = policies
        key = (latest.function_arn, qualifier)
        if key not in policies:
            policies[key] = lambda_policy.Policy(latest)
        return policies[key], qualifier

    original_add_permission = backend.add_permission
    original_get_policy = backend.get_policy
    original_remove_permission = backend.remove_permission

    def add_permission(self, function_name, qualifier, raw):  # type: ignore[no-untyped-def]
        found = qualified(self, function_name, qualifier)
        if found is None:
            return original_add_permission(self, function_name, qualifier, raw)
        policy, q = found
        statement, _revision = policy.add_statement(raw, q)
        return statement

    def get_policy(self, function_name, qualifier=None):  # type: ignore[no-untyped-def]
        found = qualified(self, function_name, qualifier)
        if found is None:
            return original_get_policy(self, function_name, None)
        return found[0].wire_format()

    def remove_permission(self, function_name, sid, revision="", qualifier=None):  # type: ignore[no-untyped-def]
        found = qualified(self, function_name, qualifier)
        if found is None:
            return original_remove_permission(self, function_name, sid, revision)
        return found[0].del_statement(sid, revision)

    backend.add_permission = add_permission
    backend.get_policy = get_policy
    backend.remove_permission = remove_permission

    def remove_permission_response(self):  # type: ignore[no-untyped-def]
        function_name = lambda_responses.unquote(self.path.split("/")[-3])
        statement_id = self.path.split("/")[-1].split("?")[0]
        revision = self.querystring.get("RevisionId", [""])[0]
        qualifier = self.querystring.get("Qualifier", [None])[0]
        self.backend.remove_permission(function_name, statement_id, revision, qualifier)
        return 204, {"status": 204}, "{}"

    response.remove_permission = remove_permission_response


def patch_apigateway_mappings_of_a_new_domain() -> None:
    """A domain name without base path mappings has none to read (moto fails with a 500).

    GetBasePathMapping of a base path the domain does not map answers NotFoundException, and
    GetBasePathMappings lists no items.
    https://docs.aws.amazon.com/apigateway/latest/api/API_GetBasePathMapping.html
    https://docs.aws.amazon.com/apigateway/latest/api/API_GetBasePathMappings.html
    """
    backend = apigateway_models.APIGatewayBackend
    for name in (
        "get_base_path_mapping",
        "get_base_path_mappings",
        "delete_base_path_mapping",
        "update_base_path_mapping",
    ):
        original = getattr(backend, name)

        def patched(self, domain_name, *args, __original=original, **kwargs):  # type: ignore[no-untyped-def]
            if domain_name in self.domain_names:
                self.base_path_mappings.setdefault(domain_name, {})
            return __original(self, domain_name, *args, **kwargs)

        setattr(backend, name, patched)


def patch_apigateway_delete_domain_mappings() -> None:
    """A deleted domain name takes its base path mappings with it (moto keeps them).

    A base path mapping is a sub-resource of its domain name, addressed only through it
    (/domainnames/{domain_name}/basepathmappings/{base_path}), and a domain name made again under
    the same name starts with none: GetBasePathMappings of a domain name lists the mappings made
    on that domain name.
    https://docs.aws.amazon.com/apigateway/latest/api/API_DeleteDomainName.html
    https://docs.aws.amazon.com/apigateway/latest/api/API_BasePathMapping.html
    """
    backend = apigateway_models.APIGatewayBackend
    original = backend.delete_domain_name

    def delete_domain_name(self, domain_name):  # type: ignore[no-untyped-def]
        original(self, domain_name)
        self.base_path_mappings.pop(domain_name, None)

    backend.delete_domain_name = delete_domain_name


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=0)
    args = parser.parse_args()

    patch_statement_conditions()
    patch_bool_condition()
    patch_s3_secure_transport()
    patch_s3_atomic_conditional_writes()
    patch_s3_create_bucket_tags()
    patch_s3_expected_bucket_owner()
    patch_lambda_logging_and_tracing()
    patch_lambda_duplicate_statement_id()
    patch_lambda_versions_and_aliases()
    patch_apigateway_delete_missing_api()
    patch_apigateway_mappings_of_a_new_domain()
    patch_apigateway_delete_domain_mappings()
    patch_dynamodb_on_demand_throughput()
    patch_wafv2_associations()
    patch_wafv2_duplicate_code()

    server = make_server(args.host, args.port, DomainDispatcherApplication(create_backend_app), True)
    print(f"listening on {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
