// JSON Schema validation in the browser with @cfworker/json-schema (pinned in server/console/package-lock.json,
// copied into the jar at build time; it needs no eval, so the Content-Security-Policy stays strict).
import {Validator} from '../vendor/json-schema/index.js';

/** "#/command/0" → "$.command[0]", the form of the server's violation paths. */
export function toJsonPath(instanceLocation) {
  const pointer = String(instanceLocation || '#').replace(/^#/, '');
  let path = '$';
  for (const raw of pointer.split('/').slice(1)) {
    const token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(token) ? `[${token}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(token) ? `.${token}` : `['${token}']`;
  }
  return path;
}

/** The draft of a schema document ('2020-12' unless it names another). */
function draftOf(schema) {
  const uri = String(schema?.$schema || '');
  if (uri.includes('draft-04')) {
    return '4';
  }
  if (uri.includes('draft-07')) {
    return '7';
  }
  if (uri.includes('2019-09')) {
    return '2019-09';
  }
  return '2020-12';
}

/**
 * A validator for one schema: validate(value) → [{path, message}], the innermost violations only (the enclosing
 * "properties"/"items"/"allOf" results that merely say a child failed are left out), without repeats.
 */
export function validatorFor(schema) {
  const validator = new Validator(schema, draftOf(schema), false);
  return (value) => {
    const result = validator.validate(value);
    if (result.valid) {
      return [];
    }
    const seen = new Set();
    const violations = [];
    for (const error of result.errors) {
      const path = toJsonPath(error.instanceLocation);
      const wrapper = result.errors.some((other) => other !== error && other.keywordLocation.startsWith(`${error.keywordLocation}/`));
      if (wrapper) {
        continue;
      }
      // a property refused by "additionalProperties": false fails the schema `false`: say it plainly
      const message = error.error === 'False boolean schema.' ? 'is not allowed here' : error.error;
      const key = `${path} ${message}`;
      if (!seen.has(key)) {
        seen.add(key);
        violations.push({path, message});
      }
    }
    return violations;
  };
}

/** Parses JSON text; a syntax error is one violation at "$" with the position. */
export function parseJson(text) {
  try {
    return {value: JSON.parse(text), violations: []};
  } catch (e) {
    return {value: undefined, violations: [{path: '$', message: `not valid JSON: ${e.message}`}]};
  }
}
