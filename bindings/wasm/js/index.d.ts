// Types of ordinance-wasm: the ordinance authorization engine for browsers and Node.
// Hand-written; the same file ships in the Node build (pkg-node) and the web build (pkg-web).

/** A JSON value, as claims, resources and contexts are made of. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * The verified payload of a session token (Clerk v1 or v2, or any JWT). ordinance
 * authorizes, it does not authenticate: verify the token's signature first.
 */
export interface Claims {
  sub?: string;
  sid?: string;
  exp?: number;
  nbf?: number;
  iat?: number;
  azp?: string;
  iss?: string;
  org_id?: string;
  org_slug?: string;
  org_role?: string;
  org_permissions?: string[];
  org_metadata?: { [key: string]: Json };
  [claim: string]: Json | undefined;
}

/** What a decision is about: `{ type: "task", id?: "42", owner_id: "org_1", ... }`. */
export interface Resource {
  type: string;
  id?: string | null;
  [attribute: string]: Json | undefined;
}

/** Facts about the request, read as `context.*` in conditions. */
export type Context = { [key: string]: Json };

/** Per-request options. */
export interface Options {
  /** Unix time in seconds to check `exp` / `nbf` against. Default: `Date.now()`. */
  now?: number;
  /** The request context. Default: empty. */
  context?: Context;
}

/** Options of {@link Engine.decideJson}: the context may also be JSON text. */
export interface JsonOptions {
  now?: number;
  context?: Context | string;
}

/** The kinds of {@link Requirement}. */
export type RequirementKind =
  | 'permission'
  | 'role'
  | 'license'
  | 'scope'
  | 'plan'
  | 'feature'
  | 'organization'
  | 'sign_in'
  | 'verification';

/**
 * What a deny is missing, for the tooltip of a disabled button:
 * `{ kind: "permission", name: "org:tasks:manage" }`, `{ kind: "license", name: "org.metadata.isLicensed" }`,
 * `{ kind: "scope", name: "https://…/calendar.events" }`, `{ kind: "sign_in", name: "" }`, ...
 */
export interface Requirement {
  kind: RequirementKind | (string & {});
  name: string;
}

/** A stable reason code. `forbidden:<code>` comes from a forbid rule's `because "<code>"`. */
export type Reason =
  | 'permit'
  | 'no_matching_rule'
  | 'forbid_errored'
  | 'session_expired'
  | 'session_not_yet_valid'
  | 'invalid_claims'
  | 'invalid_resource'
  | 'invalid_context'
  | 'invalid_request'
  | 'unknown_action'
  | 'unknown_resource_type'
  | `forbidden:${string}`;

/** The answer to one request, the same JSON as Rust's `Decision::to_json` and the CLI. */
export interface Decision {
  /** Whether the action may go ahead. */
  allowed: boolean;
  reason: Reason;
  /** The deciding rule: the matching permit, or the forbid that denied. */
  rule: string | null;
  /** For a deny: what would make it an allow (empty for an allow). */
  missing: Requirement[];
  /** For a deny caused by bad input or a failing forbid: what went wrong. */
  error?: string;
}

/** One rule's part in an explained decision. */
export interface RuleTrace {
  id: string;
  effect: 'permit' | 'forbid';
  /** `match`, `no match` or `error: <why>`. */
  outcome: string;
  /** Each leaf condition evaluated, as `[condition, value or error]`. */
  steps: Array<[string, string]>;
}

/** The full trace of a decision. */
export interface Explanation {
  decision: Decision;
  rules: RuleTrace[];
}

/** One located problem of a policy. Lines and columns are 1-based; columns count characters. */
export interface Diagnostic {
  /** A short stable category: `syntax`, `lex`, `unknown-attribute`, `type-mismatch`, ... */
  code: string;
  message: string;
  help: string | null;
  file: string;
  line: number;
  column: number;
  /** Byte offsets in the policy text. */
  span: { start: number; end: number };
  /** A second place, e.g. where a duplicate was first declared. */
  related: { line: number; column: number; message: string } | null;
}

/** Base class of every error ordinance throws. */
export class OrdinanceError extends Error {}

/** A policy that does not parse or validate. `message` is the CLI's report (file:line:col, caret, help). */
export class PolicyError extends OrdinanceError {
  /** The first problem's file name (`policy` unless `file` was given). */
  readonly file: string | null;
  readonly line: number;
  readonly column: number;
  readonly code: string;
  readonly help: string | null;
  /** Every problem, in source order. */
  readonly diagnostics: Diagnostic[];
}

/** Claims that cannot be trusted, from {@link Engine.session}, `permittedActions` or `explain`. */
export class ClaimsError extends OrdinanceError {}

/** A resource, context, option, argument or AuthZEN request that cannot be used. */
export class RequestError extends OrdinanceError {
  /**
   * From {@link Engine.filter} and {@link Filter.toSql}: `unknown_resource_type`,
   * `unknown_action`, `not_expressible`, `too_complex` or `invalid_option`.
   */
  readonly code?: string;
  /** From a filter: the rule that cannot be rendered, or null. */
  readonly rule?: string | null;
}

/**
 * A bug inside ordinance (a Rust panic), caught. The wasm instance was replaced and every
 * engine and session rebuilds itself on next use, so it is safe to carry on.
 */
export class InternalError extends OrdinanceError {}

/** Validated session claims, prepared once for many decisions on one token. */
export class Session {
  /** As {@link Engine.session}; a Session gives a session of the same claims. */
  constructor(claims: Claims | Session | string);
  /** The `sub` claim, or null for an anonymous session. */
  readonly userId: string | null;
  /** The active organization's id, or null. */
  readonly orgId: string | null;
  /** Releases the wasm memory now instead of at garbage collection. */
  free(): void;
}

/** Options of {@link Engine.fromPolicy}. */
export interface EngineOptions {
  /** The file name used in errors and in the ids of rules without `@id`. Default `policy`. */
  file?: string;
  /**
   * The AuthZEN subject directory for {@link Engine.evaluate}: subject id -> attributes
   * (an object, or its JSON text). Invalid: {@link RequestError}.
   */
  directory?: { [subjectId: string]: { [attribute: string]: Json } } | string;
}

/** An AuthZEN entity: `{ type, id, properties? }`. */
export interface AuthZenEntity {
  type: string;
  id: string;
  properties?: { [key: string]: Json };
}

/** An AuthZEN Access Evaluation request (`POST /access/v1/evaluation`). */
export interface EvaluationRequest {
  subject: AuthZenEntity;
  action: { name: string; properties?: { [key: string]: Json } };
  resource: AuthZenEntity;
  context?: { [key: string]: Json };
}

/** An AuthZEN decision: `decision`, and for a deny a `context` with the reason. */
export interface EvaluationResponse {
  decision: boolean;
  context?: { [key: string]: Json };
}

/** An AuthZEN Access Evaluations (batch) request: top-level entities are defaults for each item. */
export interface EvaluationsRequest {
  subject?: AuthZenEntity;
  action?: { name: string; properties?: { [key: string]: Json } };
  resource?: AuthZenEntity;
  context?: { [key: string]: Json };
  evaluations?: Array<Partial<EvaluationRequest>>;
  options?: { evaluations_semantic?: 'execute_all' | 'deny_on_first_deny' | 'permit_on_first_permit'; [key: string]: Json | undefined };
}

/** Options of the AuthZEN calls. */
export interface EvaluateOptions {
  /** Unix time in seconds. Default: `Date.now()`. */
  now?: number;
}

/** A residual condition of a {@link Filter}: `{op: "and" | "or", args}`, `{op: "not", arg}`, or a test. */
export type FilterCondition = { op: string; [key: string]: Json | undefined };

/** A filter as data. */
export interface FilterJson {
  kind: 'always' | 'never' | 'condition';
  resource_type: string;
  action: string;
  /** The attributes a valid resource must have (not NULL). */
  required: string[];
  condition?: FilterCondition;
  reason?: string;
}

/** Options of {@link Filter.toSql}. */
export interface SqlOptions {
  /** Attribute -> column name (`t.owner` renders as `"t"."owner"`); default: the attribute's own name. */
  columns?: { [attribute: string]: string };
  /** The number of the first bind parameter, 1 to 65535 (PostgreSQL's `$1` to `$65535`). Default 1. */
  firstParam?: number;
}

/**
 * The residual of a policy for one session, action and resource type: which resources the
 * session may act on. Made by {@link Engine.filter}.
 */
export class Filter {
  private constructor();
  /** `always` (every valid resource), `never` (none; see {@link reason}) or `condition`. */
  readonly kind: 'always' | 'never' | 'condition';
  /** For `never`: the reason code every decision would give; otherwise null. */
  readonly reason: string | null;
  readonly resourceType: string;
  readonly action: string;
  /** The residual as data (also what `JSON.stringify(filter)` gives). */
  toJSON(): FilterJson;
  /**
   * A PostgreSQL WHERE fragment and its bind parameters, e.g.
   * `{ sql: '"owner_id" IS NOT NULL AND "owner_id" = $1::text', params: ['org_1'] }`.
   * @throws {RequestError} with `code` `not_expressible`, `too_complex` or `invalid_option`.
   */
  toSql(options?: SqlOptions): { sql: string; params: Json[] };
}

/** A compiled policy. Build it once, reuse it for every decision. */
export class Engine {
  /**
   * Parses, validates and compiles policy text.
   * @throws {PolicyError} with `line`, `column`, `code`, `help` and `diagnostics`;
   *   {@link RequestError} for options that are not an object, a `file` that is not a string
   *   or a bad `directory`; `TypeError` when `text` is not a string.
   */
  static fromPolicy(text: string, options?: EngineOptions): Engine;
  constructor(text: string, options?: EngineOptions);

  /**
   * Decides `action` on `resource`. Bad claims, resource or context are a deny
   * (`invalid_claims`, `invalid_resource`, `invalid_context`), never an exception.
   *
   * Passing the same claims and resource objects again is cheap: the engine keeps what it
   * prepared from them, and uses it only after checking that the object still holds the same
   * JSON data (a changed object is decided on its new value); deeply frozen objects skip
   * that check. The decision is a fresh object.
   * @throws {RequestError} when `action` is not a string, `options` not an object or `now`
   *   not an integer.
   */
  decide(claims: Claims | Session, action: string, resource: Resource, options?: Options): Decision;

  /** As {@link decide}, for claims and resource held as JSON text. */
  decideJson(claimsJson: string, action: string, resourceJson: string, options?: JsonOptions): Decision;

  /**
   * Every action declared on the resource's type that the session may take, in declaration
   * order: one call to gate every button of a row.
   * An expired or not-yet-valid token, an unknown resource type, or an attribute of the wrong
   * type for its declaration (what `decide` answers `invalid_resource`) give an empty list.
   * @throws {ClaimsError} for untrustworthy claims; {@link RequestError} for a resource that is
   *   not one (not an object, no string `type`, a bad `id`), a bad context or options.
   */
  permittedActions(claims: Claims | Session, resource: Resource, options?: Options): string[];

  /** The full trace of a decision, as text (the CLI's `ordinance explain`). */
  explain(claims: Claims | Session, action: string, resource: Resource, options?: Options): string;

  /** The full trace of a decision, as data. */
  explainJson(claims: Claims | Session, action: string, resource: Resource, options?: Options): Explanation;

  /**
   * Answers an AuthZEN Access Evaluation request (subjects come from the directory).
   * @throws {RequestError} for a malformed request (HTTP 400).
   */
  evaluate(request: EvaluationRequest, options?: EvaluateOptions): EvaluationResponse;

  /**
   * Answers an AuthZEN Access Evaluations (batch) request.
   * @throws {RequestError} for a malformed request (HTTP 400).
   */
  evaluations(request: EvaluationsRequest, options?: EvaluateOptions): { evaluations: EvaluationResponse[] } | EvaluationResponse;

  /**
   * The residual policy for `action` on every resource of `resourceType`: for list views
   * and SQL WHERE clauses.
   * @throws {ClaimsError} for untrustworthy claims; {@link RequestError} with `code`
   *   `unknown_action` / `unknown_resource_type`.
   */
  filter(claims: Claims | Session, action: string, resourceType: string, options?: Options): Filter;

  /**
   * Validates claims (an object or its JSON text) once, for many decisions on one token.
   * Given a Session, gives a session of the same claims.
   * @throws {ClaimsError}
   */
  session(claims: Claims | Session | string): Session;

  /** Releases the wasm memory now instead of at garbage collection; the engine stays usable. */
  free(): void;

  /** @internal What the object caches run on; for the tests of the compiled comparisons. */
  static _cacheStateForTests(): { codeGeneration: boolean; compiledShapes: number };

  /** @internal Panics inside the engine on purpose; for the tests of the panic path. */
  _panicForTests(message?: string): void;
}

/** What {@link init} accepts: where to load the `.wasm` from, or the module itself. */
export type InitInput = string | URL | Request | Response | BufferSource | WebAssembly.Module;

/**
 * Loads the WebAssembly module. In browsers and bundlers call it once, before anything
 * else: `await init()` (it fetches `ordinance_wasm_bg.wasm` next to the module, or `input`).
 * In Node the module is loaded at `require` time and `init()` resolves at once.
 */
export function init(input?: InitInput | Promise<InitInput>): Promise<void>;
