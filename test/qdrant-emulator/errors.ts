/**
 * Errors the emulator reports, with Qdrant's HTTP status and message prefix.
 * Prefixes and statuses checked against qdrant/qdrant lib/storage/src/content_manager/errors.rs
 * (StorageError Display) and src/actix/helpers.rs (status_code).
 */
export class QdrantError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'QdrantError';
  }
}

/** StorageError::BadInput → 400 "Wrong input: …" */
export const badInput = (description: string): QdrantError =>
  new QdrantError(400, `Wrong input: ${description}`);

/** StorageError::BadRequest → 400 "Bad request: …" */
export const badRequest = (description: string): QdrantError =>
  new QdrantError(400, `Bad request: ${description}`);

/** StorageError::NotFound → 404 "Not found: …" */
export const notFound = (description: string): QdrantError =>
  new QdrantError(404, `Not found: ${description}`);

/** StorageError::AlreadyExists → 409 "Wrong input: …" */
export const alreadyExists = (description: string): QdrantError =>
  new QdrantError(409, `Wrong input: ${description}`);

/** A body that does not deserialize (src/actix/mod.rs validation_error_handler) → 400. */
export const formatError = (description: string): QdrantError =>
  new QdrantError(400, `Format error in JSON body: ${description}`);

/** A body or path that deserializes but fails validation (src/actix/mod.rs) → 422. */
export const validationError = (where: 'JSON body' | 'path parameters', field: string, description: string): QdrantError =>
  new QdrantError(422, `Validation error in ${where}: [${field}: ${description}]`);

export const collectionNotFound = (name: string): QdrantError =>
  notFound(`Collection \`${name}\` doesn't exist!`);

export const pointNotFound = (id: string | number): QdrantError => notFound(`No point with id ${id} found`);

export const vectorNameNotExists = (name: string): QdrantError =>
  badInput(`Not existing vector name error: ${name}`);

/** Something Qdrant supports that this emulator does not: a 400 that says so plainly. */
export const unsupported = (what: string): QdrantError =>
  new QdrantError(400, `Bad request: ${what} is not supported by the Qdrant emulator`);
