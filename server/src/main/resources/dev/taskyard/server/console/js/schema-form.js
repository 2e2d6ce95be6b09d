// A form for the input schema of a named action: one labelled field per property of an object schema (text,
// number, checkbox, choice for enums, one line per item for arrays of strings, JSON for anything else); a schema
// that is not an object of properties gets one JSON field. read() gives the value; the caller validates it.
import {h} from './dom.js';

function typeOf(schema) {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (type === 'array' && (schema.items?.type === 'string' || schema.items?.type === undefined && !schema.items?.properties)) {
    return 'lines';
  }
  if (Array.isArray(schema.enum) && schema.enum.every((v) => typeof v === 'string')) {
    return 'enum';
  }
  return type || 'json';
}

function field(name, schema, required, id) {
  const kind = typeOf(schema);
  const helpId = `${id}-help`;
  const label = h('label', {for: id}, schema.title || name, required ? h('span', {class: 'required', 'aria-hidden': 'true'}, ' *') : null);
  const help = schema.description ? h('p', {class: 'help', id: helpId}, schema.description) : null;
  const common = {id, name, 'aria-describedby': help ? helpId : null, 'aria-required': required ? 'true' : null};
  let input;
  let read;
  if (kind === 'boolean') {
    input = h('input', {...common, type: 'checkbox', checked: schema.default === true});
    read = () => ({value: input.checked, given: true});
    return {element: h('div', {class: 'field field-check'}, input, label, help), read};
  }
  if (kind === 'enum') {
    input = h('select', common, required ? null : h('option', {value: ''}, '—'),
      schema.enum.map((v) => h('option', {value: v, selected: v === schema.default}, v)));
    read = () => ({value: input.value, given: input.value !== ''});
  } else if (kind === 'integer' || kind === 'number') {
    input = h('input', {...common, type: 'number', step: kind === 'integer' ? 1 : 'any', inputmode: 'decimal',
      min: schema.minimum, max: schema.maximum, value: schema.default});
    read = () => input.value === '' ? {given: false} : {value: Number(input.value), given: true};
  } else if (kind === 'string') {
    const long = (schema.maxLength || 0) > 200 || schema.format === 'textarea' || !schema.maxLength;
    input = long ? h('textarea', {...common, rows: 3}, schema.default || '')
      : h('input', {...common, type: 'text', value: schema.default, maxlength: schema.maxLength});
    read = () => ({value: input.value, given: input.value !== ''});
  } else if (kind === 'lines') {
    input = h('textarea', {...common, rows: 3, placeholder: 'one item per line'}, (schema.default || []).join('\n'));
    read = () => ({value: input.value.split('\n').filter((l) => l !== ''), given: input.value.trim() !== ''});
  } else {
    input = h('textarea', {...common, rows: 4, class: 'mono', placeholder: 'JSON'},
      schema.default === undefined ? '' : JSON.stringify(schema.default, null, 2));
    read = () => {
      if (input.value.trim() === '') {
        return {given: false};
      }
      try {
        return {value: JSON.parse(input.value), given: true};
      } catch (e) {
        return {given: true, problem: `not valid JSON: ${e.message}`};
      }
    };
  }
  return {element: h('div', {class: 'field'}, label, help, input), read};
}

export function formFor(schema, idPrefix) {
  const properties = schema && typeof schema.properties === 'object' ? schema.properties : null;
  if (!properties) {
    const whole = field('input', {title: 'Input (JSON)', description: schema?.description}, true, `${idPrefix}-json`);
    return {
      element: h('div', {class: 'fields'}, whole.element),
      read: () => {
        const r = whole.read();
        return {value: r.value, problems: r.problem ? [{path: '$', message: r.problem}] : []};
      },
    };
  }
  const required = new Set(schema.required || []);
  const fields = Object.entries(properties).map(([name, propertySchema], i) => ({
    name, ...field(name, propertySchema || {}, required.has(name), `${idPrefix}-${i}`),
  }));
  return {
    element: h('div', {class: 'fields'}, fields.map((f) => f.element)),
    read: () => {
      const value = {};
      const problems = [];
      for (const f of fields) {
        const r = f.read();
        if (r.problem) {
          problems.push({path: `$.${f.name}`, message: r.problem});
        } else if (r.given) {
          value[f.name] = r.value;
        }
      }
      return {value, problems};
    },
  };
}
