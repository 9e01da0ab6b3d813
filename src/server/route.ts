/**
 * One route table for the gateway: each route declares its zod schemas (path params, query, body,
 * response) once; the same objects validate the request and describe the route in the OpenAPI
 * document, so the two cannot drift apart.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ValidationError } from '../errors.js';
import { authorize, authorizeRoute, requestGrant, type Access } from './access.js';
import { safeParse } from '../wire/fast-path.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<P, Q, B> {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
}

export interface RouteSpec<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined> {
  method: HttpMethod;
  /** Fastify style: `/v1/memories/:id`. */
  url: string;
  operationId: string;
  /** OpenAPI tag (the store family). */
  tag: string;
  summary: string;
  description?: string;
  /** No bearer token needed (only `GET /health`). */
  public?: boolean;
  /** What a token must grant to call the route (src/server/access.ts); checked before the handler. */
  access: Access<RouteInput<P, Q, B>>;
  params?: P;
  query?: Q;
  body?: B;
  /** A missing body is read as `{}` (for bodies whose fields are all optional). */
  bodyOptional?: boolean;
  /** Status of a success. 204 sends no body. */
  status: 200 | 201 | 204;
  /** A second success status the handler may answer with (same body): e.g. 200 when nothing new was created. */
  unchangedStatus?: 200;
  unchangedDescription?: string;
  /** Schema of the success body (documentation; responses are not re-validated). */
  response?: z.ZodType;
  responseDescription?: string;
  /** Error statuses worth documenting besides 400 (bad input), 401 (no token) and 500. */
  errors?: number[];
  handler(input: RouteInput<P, Q, B>, request: FastifyRequest, reply: FastifyReply): Promise<unknown>;
}

/** A RouteSpec with its generics erased, as the table stores it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteSpec<any, any, any>;

/** A ValidationError from a request schema, with every problem listed (sent as `error.problems`). */
export class RequestValidationError extends ValidationError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid request: ${problems.join('; ')}`, { backend: 'gateway' });
    this.problems = problems;
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without a bearer token. */
    public?: boolean;
  }
}

/** Collects routes, registers them on Fastify and hands them to the OpenAPI builder. */
export class RouteTable {
  private readonly list: AnyRoute[] = [];

  /** Adds a route (typed from its schemas). */
  add<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined>(
    spec: RouteSpec<P, Q, B>,
  ): void {
    this.list.push(spec as AnyRoute);
  }

  get routes(): readonly AnyRoute[] {
    return this.list;
  }

  /** Registers every route: validate params, query and body, run the handler, send its result. */
  register(app: FastifyInstance): void {
    for (const spec of this.list) {
      app.route({
        method: spec.method,
        url: spec.url,
        config: { public: spec.public === true },
        handler: async (request, reply) => {
          authorizeRoute(requestGrant(request), spec.access);
          const problems: string[] = [];
          const params = parse(spec.params, request.params, 'path', problems);
          const query = parse(spec.query, request.query ?? {}, 'query', problems);
          const rawBody = request.body === undefined && spec.bodyOptional ? {} : request.body;
          const body = parse(spec.body, rawBody, 'body', problems);
          if (problems.length > 0) throw new RequestValidationError(problems);
          authorize(requestGrant(request), spec.access, { params, query, body });
          reply.code(spec.status);
          const result = await spec.handler({ params, query, body }, request, reply);
          if (spec.status === 204 && reply.statusCode === 204) return reply.send();
          return result;
        },
      });
    }
  }
}

function parse(schema: z.ZodType | undefined, value: unknown, where: string, problems: string[]): unknown {
  if (schema === undefined) return undefined;
  let result: ReturnType<z.ZodType['safeParse']>;
  try {
    result = safeParse(schema, value);
  } catch (error) {
    // Recursive JSON schemas can run out of stack on absurdly deep input.
    if (error instanceof RangeError) {
      problems.push(`${where}: nested too deeply`);
      return undefined;
    }
    throw error;
  }
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const path = issue.path.map(String).join('.');
    problems.push(`${where}${path ? `.${path}` : ''}: ${issue.message}`);
  }
  return undefined;
}
