//! Loads a dbt project as the embedded runner needs it: `dbt_project.yml`, the profile, models
//! (`.sql` + `.yml`), sources, macros, generic tests, seeds and snapshots. The supported subset is
//! documented in `dbt/README.md`; anything outside it is an error naming the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value as Json;
use serde_yaml_ng::Value as Yaml;

use crate::{Result, TransformError};

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A CSV file of `seeds/`.
    Seed,
    /// A `.sql` file of `models/`.
    Model,
    /// A `{% snapshot %}` block of `snapshots/`.
    Snapshot,
    /// A generic test applied in YAML, or a singular test of `tests/`.
    Test,
    /// A unit test (`unit_tests:` in YAML): a model run on given rows, compared with expected rows.
    UnitTest,
    /// An exposure (`exposures:` in YAML): what reads the project's models outside dbt. It builds
    /// nothing; `dbt build` lists it as `no-op` once its models are built and tested.
    Exposure,
}

impl Kind {
    /// dbt's word for the kind, as in unique ids.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Seed => "seed",
            Kind::Model => "model",
            Kind::Snapshot => "snapshot",
            Kind::Test => "test",
            Kind::UnitTest => "unit_test",
            Kind::Exposure => "exposure",
        }
    }
}

/// A generic test applied to a model or column in YAML.
#[derive(Debug, Clone)]
pub struct TestUse {
    /// `unique`, `not_null`, `accepted_values`, `relationships` or a project generic test.
    pub test: String,
    /// The model tested.
    pub model: String,
    /// The column tested (`None` for a model-level test).
    pub column: Option<String>,
    /// The column is declared `quote: true` (dbt then names the test after the quoted column).
    pub quoted: bool,
    /// Arguments as written (besides `column_name`), JSON for rendering.
    pub args: BTreeMap<String, Json>,
}

/// One node of the DAG.
#[derive(Debug, Clone)]
pub struct Node {
    /// What the node is.
    pub kind: Kind,
    /// The node's name (a model's file stem, a test's generated name).
    pub name: String,
    /// The file the node comes from, relative to the project (for errors and selection).
    pub path: String,
    /// Jinja-SQL source (models, snapshots bodies, singular tests); empty for seeds and generic tests.
    pub sql: String,
    /// Configuration from `dbt_project.yml` folders and YAML; the file's own `config()` is
    /// applied when it is rendered.
    pub config: BTreeMap<String, Json>,
    /// For a generic test: which test on which model and column.
    pub test: Option<TestUse>,
    /// An enforced contract: the declared columns (name, data type) and the not-null ones.
    pub contract: Option<Contract>,
    /// For a unit test: its model, inputs, expected rows and overrides.
    pub unit: Option<UnitTest>,
    /// A model's `description` in YAML, as written (it may call `doc()`).
    pub description: Option<String>,
    /// A model's column descriptions in YAML, as written, by column name.
    pub column_descriptions: BTreeMap<String, String>,
    /// For an exposure: the models it reads (`depends_on: ref(...)`).
    pub depends_on: Vec<String>,
}

/// A dbt unit test: `model` built on the `given` rows instead of its inputs must return the
/// `expect` rows (compared as multisets, on the columns the expected rows name).
#[derive(Debug, Clone)]
pub struct UnitTest {
    /// The model tested.
    pub model: String,
    /// Each input: `ref('x')`, `source('s', 't')` or `this`, and its rows.
    pub given: Vec<(String, Rows)>,
    /// The rows the model must return.
    pub expect: Rows,
    /// `overrides: vars:`.
    pub vars: BTreeMap<String, Json>,
    /// `overrides: macros: is_incremental:` (false when not set).
    pub is_incremental: bool,
}

/// Fixture rows of a unit test, in one of dbt's formats.
#[derive(Debug, Clone)]
pub enum Rows {
    /// `format: dict` (the default): one mapping of column to value per row.
    Dict(Vec<BTreeMap<String, Json>>),
    /// `format: sql`: a select statement giving the rows.
    Sql(String),
}

/// An enforced model contract.
#[derive(Debug, Clone, Default)]
pub struct Contract {
    /// Declared columns, in order: (name, data type).
    pub columns: Vec<(String, String)>,
    /// Columns with a `not_null` constraint.
    pub not_null: Vec<String>,
}

impl Node {
    /// A node with no test, contract, unit test or descriptions.
    fn new(kind: Kind, name: String, path: String, sql: String, config: BTreeMap<String, Json>) -> Node {
        Node {
            kind,
            name,
            path,
            sql,
            config,
            test: None,
            contract: None,
            unit: None,
            description: None,
            column_descriptions: BTreeMap::new(),
            depends_on: Vec::new(),
        }
    }

    /// dbt's unique id: `<kind>.<project>.<name>`, for a unit test `unit_test.<project>.<model>.<name>`.
    pub fn unique_id(&self, project: &str) -> String {
        match &self.unit {
            Some(u) => format!("{}.{project}.{}.{}", self.kind.name(), u.model, self.name),
            None => format!("{}.{project}.{}", self.kind.name(), self.name),
        }
    }
}

/// A loaded dbt project, ready to plan and run.
pub struct Project {
    /// The project folder.
    pub root: PathBuf,
    /// `name` in `dbt_project.yml`.
    pub name: String,
    /// `vars` in `dbt_project.yml`.
    pub vars: BTreeMap<String, Json>,
    /// Every macro file's text, in path order, and where each starts (for errors).
    pub macros: Vec<(String, String)>,
    /// Project generic tests (`{% test %}` blocks), as macros named `test_<name>`.
    pub generic_tests: Vec<(String, String)>,
    /// Every seed, model, snapshot and test.
    pub nodes: Vec<Node>,
    /// (source name, table name) → relation.
    pub sources: BTreeMap<(String, String), String>,
    /// DuckDB settings from the profile (e.g. TimeZone).
    pub settings: Vec<(String, String)>,
    /// Nodes run at once (the profile's `threads`).
    pub threads: usize,
    /// Docs blocks (`{% docs name %} … {% enddocs %}` in `.md` files of the model paths), by name.
    pub docs: BTreeMap<String, String>,
}

/// `dbt_project.yml`, the parts the runner reads.
#[derive(Debug, Deserialize)]
struct DbtProjectFile {
    name: String,
    profile: Option<String>,
    #[serde(default)]
    vars: BTreeMap<String, Json>,
    #[serde(rename = "model-paths")]
    model_paths: Option<Vec<String>>,
    #[serde(rename = "macro-paths")]
    macro_paths: Option<Vec<String>>,
    #[serde(rename = "test-paths")]
    test_paths: Option<Vec<String>>,
    #[serde(rename = "seed-paths")]
    seed_paths: Option<Vec<String>>,
    #[serde(rename = "snapshot-paths")]
    snapshot_paths: Option<Vec<String>>,
    /// Folder configs (`+key: value`, nested by folder): free-form by dbt's design.
    models: Option<Yaml>,
    seeds: Option<Yaml>,
    snapshots: Option<Yaml>,
}

/// One profile of `profiles.yml`.
#[derive(Debug, Deserialize)]
struct Profile {
    #[serde(default = "default_target")]
    target: String,
    outputs: BTreeMap<String, ProfileOutput>,
}

fn default_target() -> String {
    "dev".into()
}

/// One output (target) of a profile.
#[derive(Debug, Deserialize)]
struct ProfileOutput {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default = "one")]
    threads: usize,
    #[serde(default)]
    settings: BTreeMap<String, Yaml>,
}

fn one() -> usize {
    1
}

/// A properties file (`models/**/*.yml`): sources and models with their columns and tests.
#[derive(Debug, Default, Deserialize)]
struct PropertiesFile {
    #[serde(default)]
    sources: Vec<SourceDef>,
    #[serde(default)]
    models: Vec<ModelDef>,
    #[serde(default)]
    unit_tests: Vec<UnitTestDef>,
    #[serde(default)]
    exposures: Vec<ExposureDef>,
}

/// An `exposures:` entry: only its name and what it depends on matter to a build.
#[derive(Debug, Deserialize)]
struct ExposureDef {
    name: String,
    #[serde(default)]
    depends_on: Vec<String>,
}

/// A `unit_tests:` entry.
#[derive(Debug, Deserialize)]
struct UnitTestDef {
    name: String,
    model: String,
    #[serde(default)]
    given: Vec<GivenDef>,
    expect: RowsDef,
    #[serde(default)]
    overrides: OverridesDef,
}

#[derive(Debug, Deserialize)]
struct GivenDef {
    input: String,
    #[serde(flatten)]
    rows: RowsDef,
}

#[derive(Debug, Deserialize)]
struct RowsDef {
    format: Option<String>,
    rows: Option<Yaml>,
    fixture: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct OverridesDef {
    #[serde(default)]
    macros: BTreeMap<String, Json>,
    #[serde(default)]
    vars: BTreeMap<String, Json>,
    #[serde(default)]
    env_vars: BTreeMap<String, Json>,
}

#[derive(Debug, Deserialize)]
struct SourceDef {
    name: String,
    schema: Option<String>,
    #[serde(default)]
    tables: Vec<SourceTableDef>,
}

#[derive(Debug, Deserialize)]
struct SourceTableDef {
    name: String,
    identifier: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ModelDef {
    name: String,
    description: Option<String>,
    #[serde(default)]
    config: BTreeMap<String, Json>,
    #[serde(default)]
    columns: Vec<ColumnDef>,
    tests: Option<Vec<TestEntry>>,
    data_tests: Option<Vec<TestEntry>>,
}

#[derive(Debug, Deserialize)]
struct ColumnDef {
    name: String,
    description: Option<String>,
    quote: Option<bool>,
    data_type: Option<String>,
    #[serde(default)]
    constraints: Vec<ConstraintDef>,
    tests: Option<Vec<TestEntry>>,
    data_tests: Option<Vec<TestEntry>>,
}

#[derive(Debug, Deserialize)]
struct ConstraintDef {
    #[serde(rename = "type")]
    kind: String,
}

/// A test entry: `unique`, or `name: {arguments: {...}, config: {...}}`, or `name: {args…}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum TestEntry {
    Name(String),
    Configured(BTreeMap<String, Option<BTreeMap<String, Json>>>),
}

/// Reads a YAML file into `T`; a parse error names the file and line.
fn typed_yaml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|source| TransformError::Io { path: path.to_path_buf(), source })?;
    serde_yaml_ng::from_str(&text).map_err(|e| TransformError::at(path, e.location().map_or(0, |l| l.line()), e.to_string()))
}

/// A YAML value as JSON (the form configs and test arguments are rendered with).
pub fn to_json(y: &Yaml) -> Json {
    serde_json::to_value(y).unwrap_or(Json::Null)
}

fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Folder-level `+key: value` configs of one resource section, by folder path (within the project).
fn folder_configs(section: Option<&Yaml>, project: &str) -> Vec<(Vec<String>, BTreeMap<String, Json>)> {
    fn walk(y: &Yaml, path: Vec<String>, out: &mut Vec<(Vec<String>, BTreeMap<String, Json>)>) {
        let Some(map) = y.as_mapping() else { return };
        let mut here = BTreeMap::new();
        for (k, v) in map {
            let Some(k) = k.as_str() else { continue };
            match k.strip_prefix('+') {
                Some(key) => {
                    here.insert(key.to_string(), to_json(v));
                }
                None if v.is_mapping() => {
                    let mut p = path.clone();
                    p.push(k.to_string());
                    walk(v, p, out);
                }
                None => {
                    here.insert(k.to_string(), to_json(v));
                }
            }
        }
        out.push((path, here));
    }
    let mut out = Vec::new();
    if let Some(s) = section.and_then(|s| s.get(project)) {
        walk(s, Vec::new(), &mut out);
    }
    out.sort_by_key(|(p, _)| p.len());
    out
}

/// The config of a file at `rel_dirs` (its folders below the resource path): outer folders
/// first, inner ones override.
fn config_for(configs: &[(Vec<String>, BTreeMap<String, Json>)], rel_dirs: &[String]) -> BTreeMap<String, Json> {
    let mut out = BTreeMap::new();
    for (path, cfg) in configs {
        if rel_dirs.starts_with(path) {
            out.extend(cfg.clone());
        }
    }
    out
}

/// The adapter this runner is, as `target.type` and `adapter.dispatch` see it.
pub(crate) const ADAPTER: &str = "duckdb";

/// A YAML property dbt renders with Jinja (e.g. a contract's `data_type` that differs by
/// engine): rendered with `target` only. Plain text comes back unchanged.
pub(crate) fn render_property(text: &str) -> Result<String, String> {
    if !text.contains("{{") && !text.contains("{%") {
        return Ok(text.to_string());
    }
    let mut env = minijinja::Environment::new();
    env.add_global("target", target());
    env.render_str(text, ()).map_err(|e| e.to_string())
}

/// `target` as the project sees it on this runner.
pub(crate) fn target() -> minijinja::Value {
    minijinja::Value::from_serialize(serde_json::json!({"name": "dev", "schema": "main", "type": ADAPTER}))
}

/// Blanks out (keeping the line count) `{% materialization name, adapter='x' %} … {%
/// endmaterialization %}` blocks for another adapter than DuckDB: dbt picks them only on that
/// engine (e.g. the project's Spark snapshot). One for DuckDB, or for every adapter, would
/// change what this runner builds, and is refused with its line.
fn other_adapters_materializations_blanked(text: &str) -> std::result::Result<String, (usize, String)> {
    const END: &str = "endmaterialization";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("{% materialization ").or_else(|| rest.find("{%- materialization ")) {
        out.push_str(&rest[..i]);
        let line = text[..text.len() - rest.len() + i].matches('\n').count() + 1;
        let block = &rest[i..];
        let head = &block[..block.find("%}").unwrap_or(block.len())];
        let adapter = head
            .split("adapter")
            .nth(1)
            .map(|a| a.trim_start_matches([' ', '=']).trim_matches(|c: char| c == '\'' || c == '"' || c.is_whitespace() || c == '-'));
        match adapter {
            Some(a) if a != "duckdb" && a != "default" => {}
            _ => return Err((line, "a custom materialization for DuckDB is not supported by the embedded runner".to_string())),
        }
        let end = block.find(END).and_then(|j| block[j..].find("%}").map(|k| j + k + 2)).ok_or((line, format!("no {{% {END} %}}")))?;
        out.push_str(&"\n".repeat(block[..end].matches('\n').count()));
        rest = &block[end..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Turns `{% test name(args) %} … {% endtest %}` into a macro `test_name` (same line count).
fn generic_tests_as_macros(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("{% test ").or_else(|| rest.find("{%- test ")) {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let head_end = after.find("%}").map_or(after.len(), |j| j + 2);
        let head = &after[..head_end];
        out.push_str(&head.replacen(" test ", " macro test_", 1));
        rest = &after[head_end..];
    }
    out.push_str(rest);
    out.replace("endtest", "endmacro")
}

impl Project {
    /// Overrides project vars like dbt's `--vars`: `text` is a YAML mapping
    /// (`{fk_violation_error_rate: 0.2}`); the error says why it is not one.
    pub fn override_vars(&mut self, text: &str) -> std::result::Result<(), String> {
        let vars: BTreeMap<String, Json> =
            serde_yaml_ng::from_str(text).map_err(|e| format!("`{text}` is not a YAML mapping of var to value: {e}"))?;
        self.vars.extend(vars);
        Ok(())
    }

    /// Loads the project in `root` (its `dbt_project.yml`, profile and files).
    pub fn load(root: &Path) -> Result<Project> {
        let file = root.join("dbt_project.yml");
        let p: DbtProjectFile = typed_yaml(&file)?;
        let name = p.name.clone();
        let profile_name = p.profile.clone().unwrap_or_else(|| name.clone());
        let vars = p.vars;
        // dbt's default folders where the project names none.
        let paths = |given: Option<Vec<String>>, default: &str| given.unwrap_or_else(|| vec![default.to_string()]);
        let model_paths = paths(p.model_paths, "models");
        let macro_paths = paths(p.macro_paths, "macros");
        let test_paths = paths(p.test_paths, "tests");
        let seed_paths = paths(p.seed_paths, "seeds");
        let snapshot_paths = paths(p.snapshot_paths, "snapshots");
        let model_cfg = folder_configs(p.models.as_ref(), &name);
        let seed_cfg = folder_configs(p.seeds.as_ref(), &name);
        let snapshot_cfg = folder_configs(p.snapshots.as_ref(), &name);

        let mut project = Project {
            root: root.to_path_buf(),
            name: name.clone(),
            vars,
            macros: Vec::new(),
            generic_tests: Vec::new(),
            nodes: Vec::new(),
            sources: BTreeMap::new(),
            settings: Vec::new(),
            threads: 1,
            docs: BTreeMap::new(),
        };
        project.load_profile(&profile_name)?;
        let rel = |p: &Path| p.strip_prefix(root).unwrap_or(p).to_string_lossy().replace('\\', "/");
        let dirs_below = |base: &Path, p: &Path| -> Vec<String> {
            p.parent()
                .and_then(|d| d.strip_prefix(base).ok())
                .map(|d| d.components().map(|c| c.as_os_str().to_string_lossy().to_string()).collect())
                .unwrap_or_default()
        };
        for dir in &macro_paths {
            for f in files_under(&root.join(dir), "sql") {
                let text = std::fs::read_to_string(&f).map_err(|e| TransformError::at(&f, 0, e.to_string()))?;
                let text = other_adapters_materializations_blanked(&text).map_err(|(line, e)| TransformError::at(&f, line, e))?;
                project.macros.push((rel(&f), text));
            }
        }
        for dir in &test_paths {
            let base = root.join(dir);
            for f in files_under(&base, "sql") {
                let text = std::fs::read_to_string(&f).map_err(|e| TransformError::at(&f, 0, e.to_string()))?;
                if text.contains("{% test ") || text.contains("{%- test ") {
                    project.generic_tests.push((rel(&f), generic_tests_as_macros(&text)));
                } else {
                    let name = f.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
                    project.nodes.push(Node::new(Kind::Test, name, rel(&f), text, BTreeMap::new()));
                }
            }
        }
        for dir in &seed_paths {
            let base = root.join(dir);
            for f in files_under(&base, "csv") {
                let name = f.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
                let config = config_for(&seed_cfg, &dirs_below(&base, &f));
                project.nodes.push(Node::new(Kind::Seed, name, rel(&f), String::new(), config));
            }
        }
        for dir in &snapshot_paths {
            let base = root.join(dir);
            for f in files_under(&base, "sql") {
                let text = std::fs::read_to_string(&f).map_err(|e| TransformError::at(&f, 0, e.to_string()))?;
                let (name, body) = snapshot_block(&text)
                    .ok_or_else(|| TransformError::at(&f, 1, "expected one {% snapshot name %} … {% endsnapshot %} block".into()))?;
                let config = config_for(&snapshot_cfg, &dirs_below(&base, &f));
                project.nodes.push(Node::new(Kind::Snapshot, name, rel(&f), body, config));
            }
        }
        let mut yml_models: Vec<(PathBuf, PropertiesFile)> = Vec::new();
        for dir in &model_paths {
            let base = root.join(dir);
            for f in files_under(&base, "sql") {
                let text = std::fs::read_to_string(&f).map_err(|e| TransformError::at(&f, 0, e.to_string()))?;
                let name = f.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
                let mut config = BTreeMap::from([("materialized".to_string(), Json::from("view"))]);
                config.extend(config_for(&model_cfg, &dirs_below(&base, &f)));
                project.nodes.push(Node::new(Kind::Model, name, rel(&f), text, config));
            }
            for f in files_under(&base, "md") {
                let text = std::fs::read_to_string(&f).map_err(|source| TransformError::Io { path: f.clone(), source })?;
                for (name, body) in docs_blocks(&text) {
                    if project.docs.insert(name.clone(), body).is_some() {
                        return Err(TransformError::at(&f, 0, format!("docs block `{name}` is defined twice")));
                    }
                }
            }
            for ext in ["yml", "yaml"] {
                for f in files_under(&base, ext) {
                    // An empty properties file is allowed, as in dbt.
                    let text = std::fs::read_to_string(&f).map_err(|source| TransformError::Io { path: f.clone(), source })?;
                    let props = if text.trim().is_empty() { PropertiesFile::default() } else { typed_yaml(&f)? };
                    yml_models.push((f, props));
                }
            }
        }
        for (f, y) in &yml_models {
            project.apply_yaml(f, y)?;
        }
        Ok(project)
    }

    fn load_profile(&mut self, profile: &str) -> Result<()> {
        let file = self.root.join("profiles.yml");
        let mut profiles: BTreeMap<String, Profile> = typed_yaml(&file)?;
        let mut p = profiles.remove(profile).ok_or_else(|| TransformError::at(&file, 0, format!("no profile `{profile}`")))?;
        let out = p.outputs.remove(&p.target).ok_or_else(|| TransformError::at(&file, 0, format!("no output `{}`", p.target)))?;
        if out.kind != "duckdb" {
            return Err(TransformError::at(&file, 0, "only `type: duckdb` profiles are supported".into()));
        }
        self.threads = out.threads;
        for (k, v) in out.settings {
            let value = match v {
                Yaml::String(s) => s,
                other => serde_yaml_ng::to_string(&other).unwrap_or_default().trim().to_string(),
            };
            self.settings.push((k, value));
        }
        Ok(())
    }

    /// Sources, model configs and tests from one properties file.
    fn apply_yaml(&mut self, file: &Path, y: &PropertiesFile) -> Result<()> {
        let rel = file.strip_prefix(&self.root).unwrap_or(file).to_string_lossy().replace('\\', "/");
        for src in &y.sources {
            let schema = src.schema.as_deref().unwrap_or(&src.name);
            for t in &src.tables {
                let identifier = t.identifier.as_deref().unwrap_or(&t.name);
                self.sources.insert((src.name.clone(), t.name.clone()), format!("{schema}.{identifier}"));
            }
        }
        for m in &y.models {
            let model = m.name.as_str();
            if !self.nodes.iter().any(|n| n.kind == Kind::Model && n.name == model) {
                return Err(TransformError::at(file, 0, format!("{rel}: model `{model}` has no .sql file")));
            }
            let cfg = m.config.clone();
            let enforced = cfg.get("contract").and_then(|c| c.get("enforced")).and_then(Json::as_bool).unwrap_or(false);
            let contract = enforced
                .then(|| -> Result<Contract> {
                    Ok(Contract {
                        columns: m
                            .columns
                            .iter()
                            .map(|c| {
                                let data_type = c.data_type.as_deref().unwrap_or_default();
                                let data_type = render_property(data_type)
                                    .map_err(|e| TransformError::at(file, 0, format!("{rel}: {model}.{}: data_type: {e}", c.name)))?;
                                Ok((c.name.clone(), data_type))
                            })
                            .collect::<Result<_>>()?,
                        not_null: m
                            .columns
                            .iter()
                            .filter(|c| c.constraints.iter().any(|k| k.kind == "not_null"))
                            .map(|c| c.name.clone())
                            .collect(),
                    })
                })
                .transpose()?;
            if let Some(node) = self.nodes.iter_mut().find(|n| n.kind == Kind::Model && n.name == model) {
                node.config.extend(cfg);
                node.contract = contract;
                node.description = m.description.clone();
                node.column_descriptions = m.columns.iter().filter_map(|c| c.description.clone().map(|d| (c.name.clone(), d))).collect();
            }
            let mut uses = Vec::new();
            for t in m.tests.as_ref().or(m.data_tests.as_ref()).into_iter().flatten() {
                uses.push(test_use(file, t, model, None)?);
            }
            for col in &m.columns {
                for t in col.tests.as_ref().or(col.data_tests.as_ref()).into_iter().flatten() {
                    let (mut u, config) = test_use(file, t, model, Some(&col.name))?;
                    u.quoted = col.quote.unwrap_or(false);
                    uses.push((u, config));
                }
            }
            for (u, config) in uses {
                let name = test_name(&u);
                self.nodes.push(Node { test: Some(u), ..Node::new(Kind::Test, name, rel.clone(), String::new(), config) });
            }
        }
        for u in &y.unit_tests {
            let unit = unit_test(file, u)?;
            if !self.nodes.iter().any(|n| n.kind == Kind::Model && n.name == u.model) {
                return Err(TransformError::at(file, 0, format!("unit test {}: no model `{}`", u.name, u.model)));
            }
            self.nodes
                .push(Node { unit: Some(unit), ..Node::new(Kind::UnitTest, u.name.clone(), rel.clone(), String::new(), BTreeMap::new()) });
        }
        for e in &y.exposures {
            let at = |what: String| TransformError::at(file, 0, format!("exposure {}: {what}", e.name));
            if self.nodes.iter().any(|n| n.name == e.name && !matches!(n.kind, Kind::Test | Kind::UnitTest)) {
                return Err(at("a model, seed, snapshot or exposure already has this name".into()));
            }
            let mut depends_on = Vec::new();
            for d in &e.depends_on {
                let model = d
                    .trim()
                    .strip_prefix("ref(")
                    .and_then(|r| r.strip_suffix(')'))
                    .map(|r| r.trim().trim_matches(|c| c == '\'' || c == '"').to_string())
                    .ok_or_else(|| at(format!("depends_on `{d}`: the embedded runner supports ref('model') only")))?;
                if !self.nodes.iter().any(|n| n.name == model && matches!(n.kind, Kind::Model | Kind::Seed | Kind::Snapshot)) {
                    return Err(at(format!("depends_on `{d}`: no model, seed or snapshot `{model}`")));
                }
                depends_on.push(model);
            }
            self.nodes.push(Node { depends_on, ..Node::new(Kind::Exposure, e.name.clone(), rel.clone(), String::new(), BTreeMap::new()) });
        }
        Ok(())
    }
}

/// A `unit_tests:` entry as the runner needs it; what the embedded runner cannot do (csv
/// fixtures, overriding other macros or environment variables) is an error naming the test.
fn unit_test(file: &Path, u: &UnitTestDef) -> Result<UnitTest> {
    let unsupported =
        |what: String| TransformError::at(file, 0, format!("unit test {}: {what} is not supported by the embedded runner", u.name));
    let rows = |r: &RowsDef, what: &str| -> Result<Rows> {
        if r.fixture.is_some() {
            return Err(unsupported(format!("a fixture file for {what}")));
        }
        match (r.format.as_deref().unwrap_or("dict"), &r.rows) {
            ("dict", None) => Ok(Rows::Dict(Vec::new())),
            ("dict", Some(Yaml::Sequence(list))) => list
                .iter()
                .map(|row| match to_json(row) {
                    Json::Object(m) => Ok(m.into_iter().collect()),
                    _ => Err(TransformError::at(file, 0, format!("unit test {}: each row of {what} must be a mapping", u.name))),
                })
                .collect::<Result<_>>()
                .map(Rows::Dict),
            ("sql", Some(Yaml::String(sql))) => Ok(Rows::Sql(sql.clone())),
            (format, _) => Err(unsupported(format!("`format: {format}` with these rows for {what}"))),
        }
    };
    let mut is_incremental = false;
    for (name, value) in &u.overrides.macros {
        match (name.as_str(), value.as_bool()) {
            ("is_incremental", Some(b)) => is_incremental = b,
            _ => return Err(unsupported(format!("overriding macro `{name}`"))),
        }
    }
    if !u.overrides.env_vars.is_empty() {
        return Err(unsupported("overriding env_vars".into()));
    }
    Ok(UnitTest {
        model: u.model.clone(),
        given: u.given.iter().map(|g| Ok((g.input.trim().to_string(), rows(&g.rows, &g.input)?))).collect::<Result<_>>()?,
        expect: rows(&u.expect, "expect")?,
        vars: u.overrides.vars.clone(),
        is_incremental,
    })
}

/// A test entry as a test use and its config.
fn test_use(file: &Path, entry: &TestEntry, model: &str, column: Option<&str>) -> Result<(TestUse, BTreeMap<String, Json>)> {
    let (test, body) = match entry {
        TestEntry::Name(s) => (s.clone(), None),
        TestEntry::Configured(m) if m.len() == 1 => {
            let (k, v) = m.iter().next().expect("one entry");
            (k.clone(), v.as_ref())
        }
        TestEntry::Configured(_) => {
            return Err(TransformError::at(file, 0, format!("model {model}: a test must be a name or a one-key mapping")));
        }
    };
    let mut args = BTreeMap::new();
    let mut config = BTreeMap::new();
    for (k, v) in body.into_iter().flatten() {
        match (k.as_str(), v) {
            ("arguments", Json::Object(a)) => args.extend(a.iter().map(|(ak, av)| (ak.clone(), av.clone()))),
            ("config", Json::Object(c)) => config.extend(c.iter().map(|(ck, cv)| (ck.clone(), cv.clone()))),
            ("arguments" | "config", _) => {}
            (other, v) => {
                args.insert(other.to_string(), v.clone());
            }
        }
    }
    Ok((TestUse { test, model: model.to_string(), column: column.map(str::to_string), quoted: false, args }, config))
}

/// dbt's name for a generic test use: `<test>_<model>_<flattened arguments>`, shortened with an
/// md5 when 64 characters or longer, so statuses compare node by node with dbt's.
pub fn test_name(u: &TestUse) -> String {
    let mut args: BTreeMap<String, Json> = u.args.clone();
    if let Some(c) = &u.column {
        let shown = if u.quoted { format!("\"{c}\"") } else { c.clone() };
        args.insert("column_name".into(), Json::from(shown));
    }
    let mut flat = Vec::new();
    for v in args.values() {
        match v {
            Json::Object(m) => flat.extend(m.values().map(py_str)),
            Json::Array(a) => flat.extend(a.iter().map(py_str)),
            other => flat.push(py_str(other)),
        }
    }
    let clean: Vec<String> = flat
        .iter()
        .map(|a| {
            let mut out = String::new();
            let mut in_run = false;
            for ch in a.chars() {
                if ch.is_ascii_alphanumeric() || ch == '_' {
                    out.push(ch);
                    in_run = false;
                } else if !in_run {
                    out.push('_');
                    in_run = true;
                }
            }
            out
        })
        .collect();
    let full = format!("{}_{}_{}", u.test, u.model, clean.join("__"));
    full
}

/// Python's `str()` of a YAML scalar, as dbt sees it.
fn py_str(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Bool(b) => if *b { "True" } else { "False" }.into(),
        Json::Null => "None".into(),
        Json::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// The `{% docs name %} text {% enddocs %}` blocks of a Markdown file: (name, trimmed text).
fn docs_blocks(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{% docs ") {
        let after = &rest[start + "{% docs ".len()..];
        let Some(head_end) = after.find("%}") else { break };
        let name = after[..head_end].trim().to_string();
        let body = &after[head_end + 2..];
        let Some(end) = body.find("{% enddocs %}") else { break };
        out.push((name, body[..end].trim().to_string()));
        rest = &body[end..];
    }
    out
}

/// The name and body of a `{% snapshot name %} body {% endsnapshot %}` file; lines before the
/// body are kept blank so line numbers stay right.
fn snapshot_block(text: &str) -> Option<(String, String)> {
    let start = text.find("{% snapshot ")?;
    let head_end = start + text[start..].find("%}")? + 2;
    let name = text[start + "{% snapshot ".len()..head_end - 2].trim().to_string();
    let end = text.find("{% endsnapshot %}")?;
    let prefix_lines = text[..head_end].matches('\n').count();
    Some((name, format!("{}{}", "\n".repeat(prefix_lines), &text[head_end..end])))
}

#[cfg(test)]
mod tests {
    use super::other_adapters_materializations_blanked;

    #[test]
    fn another_adapters_materialization_is_blanked_and_one_for_duckdb_refused() {
        let text = "a\n{% materialization snapshot, adapter='spark' %}\nx\n{% endmaterialization %}\nb";
        assert_eq!(other_adapters_materializations_blanked(text).unwrap(), "a\n\n\n\nb");
        let (line, e) =
            other_adapters_materializations_blanked("\n{% materialization table, default %}{% endmaterialization %}").unwrap_err();
        assert_eq!(line, 2);
        assert!(e.contains("not supported"), "{e}");
        let (_, e) = other_adapters_materializations_blanked("{% materialization table, adapter='duckdb' %}").unwrap_err();
        assert!(e.contains("not supported"), "{e}");
    }
}
