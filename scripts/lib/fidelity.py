#!/usr/bin/env python3
"""Fidelity as a standing test: the emulator against what real clients use and what
graphql-core (the real API's GraphQL engine) decides.

1. Start `tgctl-emulator serve --seed demo` and build its schema from introspection with
   graphql-core, as the Kubernetes operator's gql client does (`fetch_schema_from_transport`).
2. Every line of emulator/fidelity/coordinates.tsv (the schema coordinates the operator and the
   Twingate-Labs Python CLI use) must be in that schema with the type the line gives.
3. Run the operations of emulator/fidelity/documents.graphql, in order: graphql-core must find
   them valid, the emulator must answer 200 without errors, and every `ok` in a payload must be
   true. Together they must touch every coordinate of the table (else the table is untested).
4. Every operation of emulator/fidelity/refused.graphql must be refused by graphql-core, and by
   the emulator with HTTP 400, no `data`, and the same messages in the same order.

Operations carry their inputs in comments right above them:
    # vars: {"id": "$network"}        variables; a string "$name" is a value saved earlier
    # save: network = remoteNetwork.id   save a value from the answer's data (dots; digits index)

Usage: scripts/lib/fidelity.py [EMULATOR_BIN]   (default target/debug/tgctl-emulator)
Needs graphql-core 3.2 (scripts/install-test-tools.sh installs it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

from graphql import (
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_client_schema,
    get_introspection_query,
    get_named_type,
    is_input_object_type,
    is_list_type,
    is_non_null_type,
    parse,
    print_ast,
    type_from_ast,
    validate,
    visit,
)
from graphql.execution.values import get_variable_values
from graphql.language import ast

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIDELITY = os.path.join(ROOT, "emulator", "fidelity")


def post(url, token, query, variables=None, operation=None):
    body = json.dumps({"query": query, "variables": variables or {}, "operationName": operation}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json", "X-API-KEY": token})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


class Touched(Visitor):
    """Collects the coordinates a document touches: fields, arguments, literal input fields."""

    def __init__(self, info: TypeInfo, out: set):
        super().__init__()
        self.info, self.out = info, out

    def enter_field(self, node, *_):
        parent, field = self.info.get_parent_type(), self.info.get_field_def()
        if parent and field and not node.name.value.startswith("__"):
            self.out.add(f"{parent.name}.{node.name.value}")
            self.field = node.name.value

    def enter_argument(self, node, *_):
        parent, arg = self.info.get_parent_type(), self.info.get_argument()
        if parent and arg and self.info.get_field_def():
            self.out.add(f"{parent.name}.{self.field}({node.name.value})")

    def enter_object_field(self, node, *_):
        parent = self.info.get_parent_input_type()
        if parent is not None:
            self.out.add(f"{get_named_type(parent).name}.{node.name.value}")

    def enter_variable_definition(self, node, *_):
        self.out.add(get_named_type(type_from_ast(self.info._schema, node.type)).name)


def touched_by_value(schema_type, value, out: set):
    """Input object fields a variable's value sends."""
    if value is None:
        return
    if is_non_null_type(schema_type):
        return touched_by_value(schema_type.of_type, value, out)
    if is_list_type(schema_type):
        for item in value if isinstance(value, list) else [value]:
            touched_by_value(schema_type.of_type, item, out)
        return
    if is_input_object_type(schema_type) and isinstance(value, dict):
        for key, v in value.items():
            if key in schema_type.fields:
                out.add(f"{schema_type.name}.{key}")
                touched_by_value(schema_type.fields[key].type, v, out)


def operations(path):
    """(name, directives, document text) per operation; fragments are shared by all."""
    text = open(path).read()
    doc = parse(text)
    fragments = [d for d in doc.definitions if isinstance(d, ast.FragmentDefinitionNode)]
    lines = text.splitlines()
    out = []
    for d in doc.definitions:
        if not isinstance(d, ast.OperationDefinitionNode):
            continue
        directives, i = {}, d.loc.start_token.line - 2
        while i >= 0 and lines[i].startswith("#"):
            m = re.match(r"#\s*(vars|save):\s*(.*)$", lines[i])
            if m:
                directives.setdefault(m.group(1), []).insert(0, m.group(2))
            i -= 1
        used = set(re.findall(r"\.\.\.\s*([A-Za-z_]\w*)", print_ast(d))) - {"on"}
        needed, frag_text = set(), []
        while used - needed:
            name = (used - needed).pop()
            needed.add(name)
            for f in fragments:
                if f.name.value == name:
                    frag_text.append(print_ast(f))
                    used |= set(re.findall(r"\.\.\.\s*([A-Za-z_]\w*)", print_ast(f))) - {"on"}
        out.append((d.name.value if d.name else None, directives, "\n".join([print_ast(d), *frag_text])))
    return out


def resolve(value, saved):
    if isinstance(value, str) and value.startswith("$") and value[1:] in saved:
        return saved[value[1:]]
    if isinstance(value, list):
        return [resolve(v, saved) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, saved) for k, v in value.items()}
    return value


def dig(data, path):
    for part in path.split("."):
        data = data[int(part)] if part.isdigit() else data[part]
    return data


def oks(data, where=""):
    """Paths of payloads with `ok` false."""
    bad = []
    if isinstance(data, dict):
        if data.get("ok") is False:
            bad.append(f"{where}: {data.get('error')}")
        for k, v in data.items():
            bad += oks(v, f"{where}.{k}")
    elif isinstance(data, list):
        for i, v in enumerate(data):
            bad += oks(v, f"{where}[{i}]")
    return bad


def main() -> int:
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "debug", "tgctl-emulator"
    )
    proc = subprocess.Popen(
        [binary, "serve", "--quiet", "--seed", "demo", "--reads-per-minute", "0", "--writes-per-minute", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    problems: list[str] = []
    try:
        env = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(4))
        url, token = env["TGCTL_API_URL"], env["TWINGATE_API_TOKEN"]
        status, body = post(url, token, get_introspection_query(descriptions=True))
        if status != 200 or "errors" in body:
            print(f"fidelity: introspection failed: {status} {body}", file=sys.stderr)
            return 1
        schema: GraphQLSchema = build_client_schema(body["data"])

        # 2. The table.
        table = {}
        for line in open(os.path.join(FIDELITY, "coordinates.tsv")):
            if line.startswith("#") or not line.strip():
                continue
            coordinate, expected, clients = line.rstrip("\n").split("\t")
            table[coordinate] = clients
            m = re.fullmatch(r"(\w+)\.(\w+)\((\w+)\)", coordinate) or re.fullmatch(r"(\w+)\.(\w+)", coordinate)
            t = schema.type_map.get(coordinate.split(".")[0])
            if t is None:
                problems.append(f"{coordinate} ({clients}): no such type")
                continue
            if m is None:
                kind = type(t).__name__.replace("GraphQL", "").replace("Type", "").upper()
                kind = {"INPUTOBJECT": "INPUT_OBJECT"}.get(kind, kind)
                if kind != expected:
                    problems.append(f"{coordinate} ({clients}): a {kind}, not a {expected}")
                continue
            field = getattr(t, "fields", {}).get(m.group(2))
            if field is None:
                problems.append(f"{coordinate} ({clients}): no such field")
                continue
            actual = field.type
            if m.lastindex == 3:
                arg = field.args.get(m.group(3))
                if arg is None:
                    problems.append(f"{coordinate} ({clients}): no such argument")
                    continue
                actual = arg.type
            if str(actual) != expected:
                problems.append(f"{coordinate} ({clients}): {actual}, not {expected}")

        # 3. My operations over them.
        touched: set = set()
        saved: dict = {}
        runs = 0
        for name, directives, text in operations(os.path.join(FIDELITY, "documents.graphql")):
            doc = parse(text)
            errors = validate(schema, doc)
            if errors:
                problems.append(f"{name}: graphql-core refuses it: {[e.message for e in errors]}")
                continue
            info = TypeInfo(schema)
            visit(doc, TypeInfoVisitor(info, Touched(info, touched)))
            variables = resolve(json.loads(" ".join(directives.get("vars", ["{}"]))), saved)
            op = next(d for d in doc.definitions if isinstance(d, ast.OperationDefinitionNode))
            for var in op.variable_definitions:
                touched_by_value(type_from_ast(schema, var.type), variables.get(var.variable.name.value), touched)
            status, body = post(url, token, text, variables, name)
            runs += 1
            if status != 200 or body.get("errors"):
                problems.append(f"{name}: HTTP {status} {body.get('errors')}")
                continue
            problems += [f"{name}: ok false at {b}" for b in oks(body["data"])]
            for save in directives.get("save", []):
                key, _, path = (s.strip() for s in save.partition("="))
                try:
                    saved[key] = dig(body["data"], path)
                except (KeyError, IndexError, TypeError):
                    problems.append(f"{name}: nothing at {path} to save as {key}")
        missing = sorted(c for c in table if c not in touched)
        problems += [f"{c} ({table[c]}): no operation in documents.graphql uses it" for c in missing]

        # 4. What graphql-core refuses, the emulator refuses in the same words.
        refused = 0
        for name, directives, text in operations(os.path.join(FIDELITY, "refused.graphql")):
            doc = parse(text)
            variables = resolve(json.loads(" ".join(directives.get("vars", ["{}"]))), saved)
            expected = [e.message for e in validate(schema, doc)]
            if not expected:
                op = next(d for d in doc.definitions if isinstance(d, ast.OperationDefinitionNode))
                coerced = get_variable_values(schema, op.variable_definitions, variables)
                expected = [e.message for e in coerced] if isinstance(coerced, list) else []
            if not expected:
                problems.append(f"{name}: graphql-core accepts it; it does not belong in refused.graphql")
                continue
            status, body = post(url, token, text, variables, name)
            refused += 1
            got = [e.get("message") for e in body.get("errors", [])]
            if status != 400 or "data" in body or got != expected:
                problems.append(f"{name}: graphql-core says {expected}; the emulator answered {status} {got}")
    finally:
        proc.terminate()
        proc.wait()

    for p in problems:
        print(f"fidelity: {p}", file=sys.stderr)
    if problems:
        print(f"fidelity: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(
        f"fidelity: {len(table)} coordinates of real clients served with their types; {runs} operations "
        f"valid for graphql-core and run cleanly, touching all of them; {refused} documents refused "
        f"exactly as graphql-core refuses them"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
