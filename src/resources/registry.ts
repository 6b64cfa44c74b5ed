import type { AnyHandler } from "../engine/types.js";
import { alarmHandler } from "./alarm.js";
import { apiAccountHandler, loggingRoleHandler } from "./api-account.js";
import { apiKeyHandler } from "./api-key.js";
import { stageHandler } from "./api-stage.js";
import { artifactHandler } from "./artifact.js";
import { bucketHandler } from "./bucket.js";
import { functionHandler } from "./function.js";
import { kmsKeyHandler } from "./kms-key.js";
import { logGroupHandler } from "./log-group.js";
import { permissionHandler } from "./permission.js";
import { restApiHandler } from "./rest-api.js";
import { roleHandler } from "./role.js";
import { emailSubscriptionHandler } from "./subscription.js";
import { tableHandler } from "./table.js";
import { topicHandler } from "./topic.js";
import { usagePlanHandler } from "./usage-plan.js";
import { webAclAssociationHandler } from "./web-acl-association.js";
import { webAclHandler } from "./web-acl.js";

/** Every handler by kind, so state entries the stack no longer wants can still be deleted. */
export const HANDLERS: ReadonlyMap<string, AnyHandler> = new Map(
  [
    bucketHandler,
    artifactHandler,
    tableHandler,
    logGroupHandler,
    roleHandler,
    functionHandler,
    permissionHandler,
    alarmHandler,
    kmsKeyHandler,
    topicHandler,
    emailSubscriptionHandler,
    restApiHandler,
    stageHandler,
    apiAccountHandler,
    loggingRoleHandler,
    apiKeyHandler,
    usagePlanHandler,
    webAclHandler,
    webAclAssociationHandler,
  ].map((h) => [h.kind, h as AnyHandler]),
);
