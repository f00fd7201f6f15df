// One decision, with the revocation fetch a decision may ask for: the core answers
// synchronously from what it has; when it needs a CRL or OCSP answer it says which,
// the edge fetches (bounded by [revocation] timeout) and the core is asked again.
import { DEFAULTS } from "../defaults.ts";
import { problem } from "../pki/revocation/problem.ts";
import type { Decision, ValidateOptions, ValidationRequest, Validator } from "../validator/validator.ts";
import type { RevocationFetcher } from "./revocation-fetcher.ts";

/** Without a fetcher, the sources a decision needs count as unavailable for this long, as a failed fetch would. */
const UNFETCHED_BACKOFF_MS = DEFAULTS.revocation.failureBackoffSeconds * 1000;

/**
 * The decision, synchronously when the validator has all it needs (every warm call), a
 * promise when revocation material has to be fetched first.
 */
export function validateWithFetch(
  validator: Validator,
  request: ValidationRequest,
  now: () => Date,
  fetcher: RevocationFetcher | undefined,
  options?: ValidateOptions,
): Decision | Promise<Decision> {
  const first = validator.validate(request, now(), options);
  if (first.revocationNeeds.length === 0) return first;
  return fetchAndDecide(validator, request, now, fetcher, first, options);
}

async function fetchAndDecide(
  validator: Validator,
  request: ValidationRequest,
  now: () => Date,
  fetcher: RevocationFetcher | undefined,
  first: Decision,
  options?: ValidateOptions,
): Promise<Decision> {
  if (fetcher === undefined) {
    // Nothing can fetch here: the sources count as unavailable, and the mode decides.
    for (const need of first.revocationNeeds) {
      const unfetched = problem(need.kind, need.url, "unreachable", `${need.url}: not fetched (no fetcher)`);
      validator.revocationStore.recordAttempt(need.url, now().getTime() + UNFETCHED_BACKOFF_MS, unfetched);
    }
  } else {
    await fetcher(validator.revocationStore, first.revocationNeeds);
  }
  const second = validator.validate(request, now(), options);
  // Fetched or marked failed: a second pass never asks again; if it did, fail closed.
  return second.revocationNeeds.length === 0 ? second : { ...second, revocationNeeds: [] };
}
