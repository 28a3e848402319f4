import * as fs from 'node:fs';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';

/**
 * Validation against the SARIF 2.1.0 JSON schema (the one Microsoft's SARIF SDK
 * publishes, shipped in @microsoft/jest-sarif; draft-04, hence ajv-draft-04).
 */
const schemaPath = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
let validator: ValidateFunction | undefined;

/** Whether `log` is a valid SARIF 2.1.0 log; `errors` is Ajv's list, as JSON, for assertion messages. */
export function validateSarif(log: unknown): { valid: boolean; errors: string } {
  if (!validator) {
    // unicodeRegExp: false because the schema's `language` pattern has a stray `]`
    // (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`), a syntax error under the `u` flag.
    // strict: false because the schema lists `required` properties inside `anyOf` branches
    // that declare them only in the parent (Ajv's strictRequired); the meaning is unchanged.
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    validator = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, 'utf8')));
  }
  const valid = validator(log);
  return { valid, errors: JSON.stringify(validator.errors ?? [], null, 2) };
}
