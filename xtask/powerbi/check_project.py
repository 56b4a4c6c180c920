"""Checks a Power BI project (PBIP) the way Power BI Desktop would need it to be, offline.

Run by `cargo xtask powerbi` (and `cargo xtask test`) in the project's venv:

    python check_project.py PROJECT_DIR SCHEMAS_DIR [--warehouse W.duckdb] [--lake LAKE_DIR]

- every JSON file (.pbip, .platform, .pbism, .pbir, *.json) validates against the Microsoft
  JSON schema its `$schema` declares, which must be one of the vendored ones (SCHEMAS_DIR);
- the TMDL semantic model is read back: every DAX measure and every M expression parses
  (PyPI pbi-parsers), every column, measure and table a measure names exists, every field and
  measure a visual binds exists, relationships join existing columns of the same type, many to
  one, and exactly one table is the marked date table, keyed on a date column;
- with --warehouse: each relationship's `to` column is unique in Gold and the date table's dates
  are distinct and contiguous (Power BI's conditions for a date table);
- with --lake: every partition's Parquet file exists with the columns the table declares.

Prints one line per problem and exits 1 if there is any.
"""

import argparse
import json
import pathlib
import re
import sys

import jsonschema
import referencing
from pbi_parsers import dax, pq

INTERVALS = {"DAY", "MONTH", "YEAR", "QUARTER", "HOUR", "MINUTE", "SECOND", "WEEK"}
KEYWORDS = {"VAR", "RETURN", "IN", "NOT", "ASC", "DESC"}


def schema_registry(schemas_dir):
    """Every vendored schema, under its `$id` and under the URL of its path (the embedded
    schemas' `$id`s say `schema.embedded.json` where their files and the `$ref`s to them say
    `schema-embedded.json`)."""
    resources = []
    root = pathlib.Path(schemas_dir)
    for path in sorted(root.rglob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = referencing.Resource.from_contents(contents, default_specification=referencing.jsonschema.DRAFT7)
        resources.append((contents["$id"], resource))
        resources.append((f"https://developer.microsoft.com/json-schemas/{path.relative_to(root).as_posix()}", resource))
    return referencing.Registry().with_resources(resources)


def check_json(project, registry, problems):
    checked = 0
    for path in sorted(project.rglob("*")):
        if not path.is_file() or path.suffix not in {".json", ".pbip", ".pbir", ".pbism", ".platform"}:
            continue
        where = path.relative_to(project)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            problems.append(f"{where}: not JSON: {e}")
            continue
        url = document.get("$schema")
        if not url:
            problems.append(f"{where}: declares no $schema")
            continue
        try:
            schema = registry.contents(url)
        except referencing.exceptions.NoSuchResource:
            problems.append(f"{where}: declares {url}, which is not vendored")
            continue
        validator = jsonschema.validators.validator_for(schema)(schema, registry=registry)
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
            at = "/".join(str(p) for p in error.absolute_path) or "(root)"
            problems.append(f"{where}: {at}: {error.message[:300]}")
        checked += 1
    return checked


def unquote(name):
    name = name.strip()
    if name.startswith("'") and name.endswith("'"):
        return name[1:-1].replace("''", "'")
    return name


def depth(line):
    return len(line) - len(line.lstrip("\t"))


def read_tmdl(definition):
    """The model's tables (columns, measures, partitions), relationships and expressions."""
    tables, relationships, expressions = {}, [], {}
    for path in sorted(definition.rglob("*.tmdl")):
        lines = path.read_text(encoding="utf-8").split("\n")
        table = current = None
        i = 0
        while i < len(lines):
            line = lines[i]
            text = line.strip()
            d = depth(line)
            i += 1
            if not text or text.startswith("///") or text.startswith("annotation "):
                continue

            def expression_after(rest, base):
                """An expression: the rest of the line, or the following lines deeper than base + 1."""
                nonlocal i
                if rest.strip():
                    return rest.strip()
                body = []
                while i < len(lines) and (not lines[i].strip() or depth(lines[i]) >= base + 2):
                    body.append(lines[i].strip("\t") if lines[i].strip() else "")
                    i += 1
                return "\n".join(body).strip()

            if d == 0 and text.startswith("table "):
                table = {"name": unquote(text[6:]), "columns": {}, "measures": {}, "partitions": [], "props": {}, "file": path.name}
                tables[table["name"]] = table
                current = table["props"]
            elif d == 0 and text.startswith("relationship "):
                table = None
                current = {"name": text[13:]}
                relationships.append(current)
            elif d == 0 and text.startswith("expression "):
                table = None
                name, _, rest = text[11:].partition("=")
                expressions[unquote(name)] = expression_after(rest, 0)
                current = {}
            elif d == 0:
                table = None
                current = {}
            elif table is not None and d == 1 and text.startswith("column "):
                current = {"name": unquote(text[7:])}
                table["columns"][current["name"]] = current
            elif table is not None and d == 1 and text.startswith("measure "):
                name, _, rest = text[8:].partition("=")
                current = {"name": unquote(name), "dax": expression_after(rest, 1)}
                table["measures"][current["name"]] = current
            elif table is not None and d == 1 and text.startswith("partition "):
                current = {"name": text[10:]}
                table["partitions"].append(current)
            elif text.startswith("source ="):
                current["source"] = expression_after(text[len("source =") :], d)
            elif ":" in text:
                key, _, value = text.partition(":")
                current[key.strip()] = value.strip()
            else:
                current[text] = True
    return tables, relationships, expressions


def split_column(text):
    """`table.column` (names maybe quoted) → (table, column)."""
    m = re.fullmatch(r"('(?:[^']|'')+'|[^.']+)\.('(?:[^']|'')+'|.+)", text)
    return (unquote(m.group(1)), unquote(m.group(2))) if m else (None, None)


def check_model(project, problems):
    models = list(project.glob("*.SemanticModel/definition"))
    if len(models) != 1:
        problems.append(f"expected one *.SemanticModel/definition folder, found {len(models)}")
        return None
    definition = models[0]
    first = (definition / "database.tmdl").read_text(encoding="utf-8").split("\n")[0]
    if not first.startswith("database "):
        problems.append(f"database.tmdl: first line is {first!r}, not `database <name>`")
    tables, relationships, expressions = read_tmdl(definition)
    measures = {m: t["name"] for t in tables.values() for m in t["measures"]}

    for name, text in expressions.items():
        try:
            if pq.to_ast(text) is None:
                problems.append(f"expression {name}: M does not parse")
        except Exception as e:  # the parser raises on what it cannot read
            problems.append(f"expression {name}: M does not parse: {parse_error(e)}"[:300])
    for t in tables.values():
        if not t["partitions"]:
            problems.append(f"table {t['name']}: no partition")
        for p in t["partitions"]:
            try:
                if pq.to_ast(p.get("source", "")) is None:
                    problems.append(f"table {t['name']}: the partition's M does not parse")
            except Exception as e:
                problems.append(f"table {t['name']}: the partition's M does not parse: {parse_error(e)}"[:300])
        for m in t["measures"].values():
            check_dax(m, tables, measures, problems)

    for r in relationships:
        ends = {}
        for end in ("fromColumn", "toColumn"):
            table, column = split_column(r.get(end, ""))
            if table not in tables or column not in tables[table]["columns"]:
                problems.append(f"relationship {r['name']}: {end} {r.get(end)} is not a column of the model")
            else:
                ends[end] = tables[table]["columns"][column] | {"table": table}
        if r.get("fromCardinality", "many") != "many" or r.get("toCardinality", "one") != "one":
            problems.append(f"relationship {r['name']}: not many-to-one")
        if len(ends) == 2:
            if ends["fromColumn"]["table"] == ends["toColumn"]["table"]:
                problems.append(f"relationship {r['name']}: joins a table to itself")
            if ends["fromColumn"].get("dataType") != ends["toColumn"].get("dataType"):
                problems.append(f"relationship {r['name']}: {r['fromColumn']} and {r['toColumn']} have different types")

    dated = [t for t in tables.values() if t["props"].get("dataCategory") == "Time"]
    if len(dated) != 1:
        problems.append(f"expected one marked date table (dataCategory: Time), found {len(dated)}")
    else:
        keys = [c for c in dated[0]["columns"].values() if c.get("isKey")]
        if len(keys) != 1 or keys[0].get("dataType") != "dateTime":
            problems.append(f"date table {dated[0]['name']}: needs one isKey column of dataType dateTime")
    return tables, relationships, measures


def parse_error(e):
    # pbi-parsers asserts that the whole text was consumed: a parse that stops early.
    return "the parser stops before the end" if isinstance(e, AssertionError) else repr(e)


def check_dax(measure, tables, measures, problems):
    where = f"measure [{measure['name']}]"
    try:
        if dax.to_ast(measure["dax"]) is None:
            problems.append(f"{where}: DAX does not parse")
            return
    except Exception as e:
        problems.append(f"{where}: DAX does not parse: {parse_error(e)}"[:300])
        return
    kinds = dax.TokenType
    tokens = [t for t in dax.Lexer(measure["dax"]).scan() if t.tok_type not in {kinds.WHITESPACE, kinds.SINGLE_LINE_COMMENT, kinds.MULTI_LINE_COMMENT}]
    variables = {tokens[i + 1].text for i, t in enumerate(tokens[:-1]) if t.text.upper() == "VAR"}
    for i, t in enumerate(tokens):
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        before = tokens[i - 1] if i > 0 else None
        named = t.tok_type in {kinds.UNQUOTED_IDENTIFIER, kinds.SINGLE_QUOTED_IDENTIFIER}
        if named and after is not None and after.tok_type == kinds.BRACKETED_IDENTIFIER:
            table, column = unquote(t.text), after.text[1:-1]
            if table not in tables or (column not in tables[table]["columns"] and column not in tables[table]["measures"]):
                problems.append(f"{where}: {t.text}{after.text} is not in the model")
        elif t.tok_type == kinds.BRACKETED_IDENTIFIER:
            if not (before is not None and before.tok_type in {kinds.UNQUOTED_IDENTIFIER, kinds.SINGLE_QUOTED_IDENTIFIER}) and t.text[1:-1] not in measures:
                problems.append(f"{where}: no measure {t.text}")
        elif named and (after is None or after.tok_type != kinds.LEFT_PAREN):
            name = unquote(t.text)
            if name not in tables and name not in variables and name.upper() not in INTERVALS | KEYWORDS:
                problems.append(f"{where}: {t.text} is not a table of the model")


def check_visuals(project, model, problems):
    tables, _, measures = model
    count = 0

    def walk(node, where):
        if isinstance(node, dict):
            for kind in ("Column", "Measure"):
                ref = node.get(kind)
                if isinstance(ref, dict) and "Property" in ref:
                    entity = ref.get("Expression", {}).get("SourceRef", {}).get("Entity")
                    prop = ref["Property"]
                    table = tables.get(entity)
                    ok = table is not None and (prop in table["columns"] if kind == "Column" else prop in table["measures"])
                    if not ok:
                        problems.append(f"{where}: {kind.lower()} {entity}[{prop}] is not in the model")
            if "queryRef" in node and "field" in node:
                ref = node["field"].get("Column") or node["field"].get("Measure") or {}
                expected = f"{ref.get('Expression', {}).get('SourceRef', {}).get('Entity')}.{ref.get('Property')}"
                if node["queryRef"] != expected:
                    problems.append(f"{where}: queryRef {node['queryRef']} does not name its field {expected}")
            for value in node.values():
                walk(value, where)
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    pages = list(project.glob("*.Report/definition/pages"))
    if len(pages) != 1:
        problems.append(f"expected one *.Report/definition/pages folder, found {len(pages)}")
        return 0
    order = json.loads((pages[0] / "pages.json").read_text(encoding="utf-8")).get("pageOrder", [])
    folders = sorted(p.name for p in pages[0].iterdir() if p.is_dir())
    if sorted(order) != folders:
        problems.append(f"pages.json orders {order}, but the page folders are {folders}")
    for path in sorted(pages[0].glob("*/visuals/*/visual.json")):
        visual = json.loads(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(project))
        if visual.get("name") != path.parent.name:
            problems.append(f"{where}: name {visual.get('name')} is not its folder's")
        if "query" not in visual.get("visual", {}):
            problems.append(f"{where}: binds no field")
        walk(visual, where)
        count += 1
    for path in sorted(pages[0].glob("*/page.json")):
        if json.loads(path.read_text(encoding="utf-8")).get("name") != path.parent.name:
            problems.append(f"{path.relative_to(project)}: name is not its folder's")
    return count


def check_data(model, warehouse, lake, problems):
    import duckdb

    tables, relationships, _ = model
    con = duckdb.connect()
    if warehouse:
        con.execute(f"attach '{warehouse}' as w (read_only)")
        for r in relationships:
            table, column = split_column(r.get("toColumn", ""))
            if table not in tables or column not in tables[table]["columns"]:
                continue  # reported by check_model
            dupes = con.execute(f'select count(*) - count(distinct "{column}") from w.gold."{table}"').fetchone()[0]
            if dupes:
                problems.append(f"relationship to {r['toColumn']}: {dupes} duplicate key value(s) in gold.{table}, not a one side")
        for t in tables.values():
            if t["props"].get("dataCategory") != "Time":
                continue
            key = next(c["name"] for c in t["columns"].values() if c.get("isKey"))
            days, distinct, span = con.execute(
                f'select count(*), count(distinct "{key}"), max("{key}") - min("{key}") + 1 from w.gold."{t["name"]}" where "{key}" is not null'
            ).fetchone()
            if not days or days != distinct or distinct != span:
                problems.append(f"date table {t['name']}: {days} dated rows, {distinct} distinct, {span} days spanned: not one row per day without gaps")
    if lake:
        for t in tables.values():
            source = " ".join(p.get("source", "") for p in t["partitions"])
            m = re.search(r'GoldFolder & "([^"]+)"', source)
            if not m:
                continue
            path = pathlib.Path(lake) / m.group(1)
            if not path.is_file():
                problems.append(f"table {t['name']}: {path} does not exist")
                continue
            have = {row[0] for row in con.execute(f"describe select * from read_parquet('{path}')").fetchall()}
            added = set(re.findall(r'Table\.AddColumn\([^,]+, "([^"]+)"', source))
            declared = {c.get("sourceColumn", c["name"]) for c in t["columns"].values()} - added
            if declared != have:
                problems.append(f"table {t['name']}: columns {sorted(declared ^ have)} differ between the model and {path.name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("project")
    parser.add_argument("schemas")
    parser.add_argument("--warehouse")
    parser.add_argument("--lake")
    args = parser.parse_args()
    project = pathlib.Path(args.project)
    problems = []
    files = check_json(project, schema_registry(args.schemas), problems)
    model = check_model(project, problems)
    visuals = check_visuals(project, model, problems) if model else 0
    if model and (args.warehouse or args.lake):
        check_data(model, args.warehouse, args.lake, problems)
    for p in problems:
        print(f"powerbi check: {p}")
    if model:
        tables, relationships, measures = model
        print(
            f"powerbi check: {files} JSON files checked against their schemas; {len(tables)} tables, "
            f"{len(measures)} DAX measures and {sum(len(t['partitions']) for t in tables.values())} M partitions parsed; "
            f"{len(relationships)} relationships; {visuals} visuals' references checked; {len(problems)} problem(s)"
        )
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
