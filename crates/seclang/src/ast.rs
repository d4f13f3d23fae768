//! The syntax tree of a rule file.

/// One directive of a rule file.
#[derive(Debug, Clone, PartialEq)]
pub enum Directive {
    /// `SecRule VARIABLES OPERATOR [ACTIONS]`
    Rule(Rule),
    /// `SecAction ACTIONS`: a rule that always matches.
    Action { line: usize, actions: Vec<Action> },
    /// `SecMarker NAME`: a target for `skipAfter`.
    Marker { line: usize, name: String },
    /// `SecDefaultAction ACTIONS` for one phase.
    DefaultAction { line: usize, actions: Vec<Action> },
    /// `Include PATTERN` (a glob), for the caller to resolve.
    Include { line: usize, pattern: String },
    /// Any other supported directive with its raw arguments
    /// (`SecRuleEngine On`, `SecRuleRemoveById 942100`, …).
    Other { line: usize, name: String, args: Vec<String> },
}

impl Directive {
    pub fn line(&self) -> usize {
        match self {
            Directive::Rule(r) => r.line,
            Directive::Action { line, .. }
            | Directive::Marker { line, .. }
            | Directive::DefaultAction { line, .. }
            | Directive::Include { line, .. }
            | Directive::Other { line, .. } => *line,
        }
    }
}

/// `SecRule`: where to look, what to test, what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub line: usize,
    pub variables: Vec<Variable>,
    pub operator: Operator,
    pub actions: Vec<Action>,
}

impl Rule {
    /// The value of the first action named `name`.
    pub fn action(&self, name: &str) -> Option<&str> {
        self.actions.iter().find(|a| a.name == name).map(|a| a.value.as_deref().unwrap_or(""))
    }

    pub fn id(&self) -> Option<u64> {
        self.action("id").and_then(|v| v.parse().ok())
    }

    /// Whether the next rule is this one's chained condition.
    pub fn chains(&self) -> bool {
        self.actions.iter().any(|a| a.name == "chain")
    }
}

/// One variable of a rule's target list: `ARGS`, `!REQUEST_COOKIES:/__utm/`,
/// `&TX:anomaly_score`, `XML:/*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    pub collection: String,
    pub selector: Option<Selector>,
    /// `!`: removes matching members from the list.
    pub exclude: bool,
    /// `&`: the number of members instead of their values.
    pub count: bool,
}

/// What part of a collection a variable names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// A key, matched case-insensitively (`ARGS:id`).
    Key(String),
    /// `ARGS:/^id_/`: keys matching a regular expression.
    Regex(String),
}

/// `@rx pattern`, `!@eq 0`, or a bare pattern (an implicit `@rx`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub name: String,
    pub argument: String,
    pub negated: bool,
}

/// `id:942100`, `t:lowercase`, `block`, `setvar:'tx.x=+%{tx.y}'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub name: String,
    pub value: Option<String>,
}
