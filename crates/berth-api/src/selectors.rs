//! Label and field selectors with the grammar, matching and error messages of k8s.io/apimachinery.
//!
//! Two selector languages live here:
//!
//! * [`LabelSelector`]: the `?labelSelector=` query syntax (`a=b,c in (x,y),!d`) and the
//!   `{matchLabels, matchExpressions}` object form used in specs, with upstream's parser
//!   quirks and error texts (kubectl prints them verbatim).
//! * [`FieldSelector`]: the `?fieldSelector=` syntax (`a=b,c!=d`, `\` escapes), plus the
//!   per-kind tables of which fields the API server accepts ([`convert_field_label`]) and
//!   how each field's value is computed from an object ([`field_value`]).

use std::fmt;

use serde_json::{Map, Value};

/// A selector that could not be parsed or is not valid for the resource it is used on.
///
/// `Display` gives exactly the message kube-apiserver puts into its 400 `Status`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// A label selector string or object that does not parse or validate.
    #[error("{0}")]
    Label(String),
    /// A field selector string that does not parse.
    #[error("{0}")]
    Field(String),
    /// A field selector naming a field the resource does not support.
    #[error("{0}")]
    UnsupportedField(String),
}

// ---------------------------------------------------------------------------
// Label selectors
// ---------------------------------------------------------------------------

/// The operator of one label [`Requirement`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `key in (a,b)`: the label exists and has one of the values.
    In,
    /// `key notin (a,b)`: the label is absent or has none of the values.
    NotIn,
    /// `key=a`.
    Equals,
    /// `key==a` (same meaning as `=`, kept for printing).
    DoubleEquals,
    /// `key!=a`: the label is absent or differs.
    NotEquals,
    /// `key`: the label exists.
    Exists,
    /// `!key`: the label does not exist.
    DoesNotExist,
    /// `key>5`: the label is an integer greater than the value.
    GreaterThan,
    /// `key<5`: the label is an integer less than the value.
    LessThan,
}

/// One condition of a label selector: a key, an operator and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

impl Requirement {
    /// Builds a requirement, validating key, operator arity and values like upstream's
    /// `labels.NewRequirement` (field paths relative to the requirement: `key`, `values[0]`).
    pub fn new(key: &str, operator: Operator, values: Vec<String>) -> Result<Self, SelectorError> {
        let mut errs = Vec::new();
        if let Some(e) = validate_label_key(key, "key") {
            errs.push(e);
        }
        match operator {
            Operator::In | Operator::NotIn => {
                if values.is_empty() {
                    errs.push(invalid_list(
                        "values",
                        &values,
                        "for 'in', 'notin' operators, values set can't be empty",
                    ));
                }
            }
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals => {
                if values.len() != 1 {
                    errs.push(invalid_list(
                        "values",
                        &values,
                        "exact-match compatibility requires one single value",
                    ));
                }
            }
            Operator::Exists | Operator::DoesNotExist => {
                if !values.is_empty() {
                    errs.push(invalid_list(
                        "values",
                        &values,
                        "values set must be empty for exists and does not exist",
                    ));
                }
            }
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    errs.push(invalid_list(
                        "values",
                        &values,
                        "for 'Gt', 'Lt' operators, exactly one value is required",
                    ));
                }
                for (i, v) in values.iter().enumerate() {
                    if v.parse::<i64>().is_err() {
                        errs.push(format!(
                            "values[{i}]: Invalid value: {}: for 'Gt', 'Lt' operators, the value must be an integer",
                            go_quote(v)
                        ));
                    }
                }
            }
        }
        for (i, v) in values.iter().enumerate() {
            let problems = label_value_problems(v);
            if !problems.is_empty() {
                errs.push(format!(
                    "values[{i}][{key}]: Invalid value: {}: {}",
                    go_quote(v),
                    problems.join("; ")
                ));
            }
        }
        if errs.is_empty() {
            Ok(Requirement {
                key: key.to_string(),
                operator,
                values,
            })
        } else {
            Err(SelectorError::Label(aggregate(errs)))
        }
    }

    /// The label key this requirement is about.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values, in the order given.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Whether a set of labels satisfies this requirement.
    pub fn matches(&self, labels: &Map<String, Value>) -> bool {
        let value = labels.get(&self.key).map(label_string);
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => {
                value.is_some_and(|v| self.values.contains(&v))
            }
            Operator::NotIn | Operator::NotEquals => {
                value.is_none_or(|v| !self.values.contains(&v))
            }
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let Some(have) = value.and_then(|v| v.parse::<i64>().ok()) else {
                    return false;
                };
                let [want] = self.values.as_slice() else {
                    return false;
                };
                let Ok(want) = want.parse::<i64>() else {
                    return false;
                };
                if self.operator == Operator::GreaterThan {
                    have > want
                } else {
                    have < want
                }
            }
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let op = match self.operator {
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => " in ",
            Operator::NotIn => " notin ",
            Operator::GreaterThan => ">",
            Operator::LessThan => "<",
        };
        f.write_str(op)?;
        let set = matches!(self.operator, Operator::In | Operator::NotIn);
        if set {
            f.write_str("(")?;
        }
        let mut values = self.values.clone();
        values.sort();
        f.write_str(&values.join(","))?;
        if set {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// A parsed label selector: the AND of its requirements.
///
/// The empty selector matches everything; [`LabelSelector::nothing`] (what a missing
/// `spec.selector` object converts to) matches nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
    nothing: bool,
}

impl LabelSelector {
    /// The selector that matches every object.
    pub fn everything() -> Self {
        LabelSelector::default()
    }

    /// The selector that matches no object (upstream's `labels.Nothing()`).
    pub fn nothing() -> Self {
        LabelSelector {
            requirements: Vec::new(),
            nothing: true,
        }
    }

    /// A selector requiring each `key=value` of a label map (no validation, like
    /// `labels.SelectorFromSet`); an empty map gives [`LabelSelector::everything`].
    pub fn from_set(set: &Map<String, Value>) -> Self {
        let mut requirements: Vec<Requirement> = set
            .iter()
            .map(|(k, v)| Requirement {
                key: k.clone(),
                operator: Operator::Equals,
                values: vec![label_string(v)],
            })
            .collect();
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        LabelSelector {
            requirements,
            nothing: false,
        }
    }

    /// Parses the query-string syntax, e.g. `app=web,tier in (fe,be),!canary`.
    pub fn parse(input: &str) -> Result<Self, SelectorError> {
        let mut parser = Parser::new(input);
        let mut requirements = parser.parse().map_err(SelectorError::Label)?;
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector {
            requirements,
            nothing: false,
        })
    }

    /// Converts the object form (`{matchLabels, matchExpressions}`) used in specs, like
    /// upstream's `metav1.LabelSelectorAsSelector`: `null` gives a selector matching
    /// nothing, `{}` one matching everything.
    pub fn from_label_selector_json(selector: &Value) -> Result<Self, SelectorError> {
        let obj = match selector {
            Value::Null => return Ok(LabelSelector::nothing()),
            Value::Object(obj) => obj,
            other => {
                return Err(SelectorError::Label(format!(
                    "a label selector must be an object with matchLabels and matchExpressions, not {other}"
                )))
            }
        };
        let empty = Map::new();
        let match_labels = match obj.get("matchLabels") {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(m)) => m,
            Some(_) => {
                return Err(SelectorError::Label(
                    "matchLabels must be a map of strings".to_string(),
                ))
            }
        };
        let no_exprs = Vec::new();
        let exprs = match obj.get("matchExpressions") {
            None | Some(Value::Null) => &no_exprs,
            Some(Value::Array(a)) => a,
            Some(_) => {
                return Err(SelectorError::Label(
                    "matchExpressions must be a list".to_string(),
                ))
            }
        };
        if match_labels.is_empty() && exprs.is_empty() {
            return Ok(LabelSelector::everything());
        }
        let mut requirements = Vec::with_capacity(match_labels.len() + exprs.len());
        let mut keys: Vec<&String> = match_labels.keys().collect();
        keys.sort();
        for k in keys {
            let v = match_labels.get(k).map(label_string).unwrap_or_default();
            requirements.push(Requirement::new(k, Operator::Equals, vec![v])?);
        }
        for expr in exprs {
            let key = expr.get("key").and_then(Value::as_str).unwrap_or("");
            let op_name = expr.get("operator").and_then(Value::as_str).unwrap_or("");
            let operator = match op_name {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => {
                    return Err(SelectorError::Label(format!(
                        "{} is not a valid label selector operator",
                        go_quote(other)
                    )))
                }
            };
            let values: Vec<String> = expr
                .get("values")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(label_string).collect())
                .unwrap_or_default();
            requirements.push(Requirement::new(key, operator, values)?);
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector {
            requirements,
            nothing: false,
        })
    }

    /// The requirements, sorted by key.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// Whether the selector places no restriction (matches everything).
    pub fn is_empty(&self) -> bool {
        !self.nothing && self.requirements.is_empty()
    }

    /// Whether the selector is [`LabelSelector::nothing`].
    pub fn is_nothing(&self) -> bool {
        self.nothing
    }

    /// Whether an object with these labels is selected.
    pub fn matches(&self, labels: &Map<String, Value>) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches(labels))
    }

    /// Matches the `metadata.labels` of an object (missing labels count as none).
    pub fn matches_object(&self, obj: &Value) -> bool {
        let empty = Map::new();
        let labels = obj
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        self.matches(labels)
    }
}

impl fmt::Display for LabelSelector {
    /// The canonical string form (requirements sorted by key, values sorted).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

/// Formats a label map as upstream's `labels.FormatLabels`: `a=b,c=d` sorted, or `<none>`.
pub fn format_labels(labels: Option<&Map<String, Value>>) -> String {
    let Some(labels) = labels.filter(|l| !l.is_empty()) else {
        return "<none>".to_string();
    };
    let mut pairs: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}={}", label_string(v)))
        .collect();
    pairs.sort();
    pairs.join(",")
}

/// Formats a selector object as upstream's `metav1.FormatLabelSelector`: the canonical
/// string, `<none>` when it is empty, `<error>` when it does not convert.
pub fn format_label_selector(selector: &Value) -> String {
    match LabelSelector::from_label_selector_json(selector) {
        Err(_) => "<error>".to_string(),
        Ok(s) => {
            let text = s.to_string();
            if text.is_empty() {
                "<none>".to_string()
            } else {
                text
            }
        }
    }
}

fn label_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Error,
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

fn keyword(s: &str) -> Option<Token> {
    Some(match s {
        ")" => Token::ClosedPar,
        "," => Token::Comma,
        "!" => Token::DoesNotExist,
        "==" => Token::DoubleEquals,
        "=" => Token::Equals,
        ">" => Token::GreaterThan,
        "in" => Token::In,
        "<" => Token::LessThan,
        "!=" => Token::NotEquals,
        "notin" => Token::NotIn,
        "(" => Token::OpenPar,
        _ => return None,
    })
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special(b: u8) -> bool {
    matches!(b, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

/// Splits the selector into tokens the way upstream's `labels.Lexer` does.
fn lex(input: &str) -> Vec<(Token, String)> {
    let bytes = input.as_bytes();
    let mut pos = 0;
    let mut out = Vec::new();
    loop {
        while pos < bytes.len() && is_whitespace(bytes[pos]) {
            pos += 1;
        }
        if pos >= bytes.len() {
            out.push((Token::EndOfString, String::new()));
            return out;
        }
        let start = pos;
        if is_special(bytes[pos]) {
            // Longest run of special characters that still forms a known operator.
            let mut last: Option<(Token, usize)> = None;
            while pos < bytes.len() && is_special(bytes[pos]) {
                pos += 1;
                if let Some(t) = keyword(&input[start..pos]) {
                    last = Some((t, pos));
                } else if last.is_some() {
                    pos -= 1;
                    break;
                }
            }
            match last {
                Some((t, end)) => {
                    pos = end;
                    out.push((t, input[start..end].to_string()));
                }
                None => out.push((
                    Token::Error,
                    format!("error expected: keyword found '{}'", &input[start..pos]),
                )),
            }
        } else {
            while pos < bytes.len() && !is_special(bytes[pos]) && !is_whitespace(bytes[pos]) {
                pos += 1;
            }
            let word = &input[start..pos];
            out.push((keyword(word).unwrap_or(Token::Identifier), word.to_string()));
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

struct Parser {
    items: Vec<(Token, String)>,
    pos: usize,
}

impl Parser {
    fn new(input: &str) -> Self {
        Parser {
            items: lex(input),
            pos: 0,
        }
    }

    fn item(&self, ctx: Context) -> (Token, String) {
        let (tok, lit) = self
            .items
            .get(self.pos)
            .cloned()
            .unwrap_or((Token::EndOfString, String::new()));
        // In value position, `in` and `notin` are ordinary words.
        let tok = match tok {
            Token::In | Token::NotIn if ctx == Context::Values => Token::Identifier,
            t => t,
        };
        (tok, lit)
    }

    fn lookahead(&self, ctx: Context) -> (Token, String) {
        self.item(ctx)
    }

    fn consume(&mut self, ctx: Context) -> (Token, String) {
        let it = self.item(ctx);
        if self.pos < self.items.len() {
            self.pos += 1;
        }
        it
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, String> {
        let mut reqs = Vec::new();
        loop {
            let (tok, lit) = self.lookahead(Context::Values);
            match tok {
                Token::Identifier | Token::DoesNotExist => {
                    let r = self
                        .parse_requirement()
                        .map_err(|e| format!("unable to parse requirement: {e}"))?;
                    reqs.push(r);
                    let (t, l) = self.consume(Context::Values);
                    match t {
                        Token::EndOfString => return Ok(reqs),
                        Token::Comma => {
                            let (t2, l2) = self.lookahead(Context::Values);
                            if t2 != Token::Identifier && t2 != Token::DoesNotExist {
                                return Err(format!(
                                    "found '{l2}', expected: identifier after ','"
                                ));
                            }
                        }
                        _ => return Err(format!("found '{l}', expected: ',' or 'end of string'")),
                    }
                }
                Token::EndOfString => return Ok(reqs),
                _ => {
                    return Err(format!(
                        "found '{lit}', expected: !, identifier, or 'end of string'"
                    ))
                }
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, String> {
        let (key, inferred) = self.parse_key_and_infer_operator()?;
        if let Some(op) = inferred {
            return Requirement::new(&key, op, Vec::new()).map_err(|e| e.to_string());
        }
        let op = self.parse_operator()?;
        let values = match op {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        Requirement::new(&key, op, values).map_err(|e| e.to_string())
    }

    fn parse_key_and_infer_operator(&mut self) -> Result<(String, Option<Operator>), String> {
        let mut op = None;
        let (mut tok, mut lit) = self.consume(Context::Values);
        if tok == Token::DoesNotExist {
            op = Some(Operator::DoesNotExist);
            (tok, lit) = self.consume(Context::Values);
        }
        if tok != Token::Identifier {
            return Err(format!("found '{lit}', expected: identifier"));
        }
        if let Some(e) = validate_label_key(&lit, "<nil>") {
            return Err(e);
        }
        let (next, _) = self.lookahead(Context::Values);
        if (next == Token::EndOfString || next == Token::Comma) && op.is_none() {
            op = Some(Operator::Exists);
        }
        Ok((lit, op))
    }

    fn parse_operator(&mut self) -> Result<Operator, String> {
        let (tok, lit) = self.consume(Context::KeyAndOperator);
        Ok(match tok {
            Token::In => Operator::In,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::NotIn => Operator::NotIn,
            Token::NotEquals => Operator::NotEquals,
            _ => {
                return Err(format!(
                    "found '{lit}', expected: in, notin, =, ==, !=, gt, lt"
                ))
            }
        })
    }

    fn parse_values(&mut self) -> Result<Vec<String>, String> {
        let (tok, lit) = self.consume(Context::Values);
        if tok != Token::OpenPar {
            return Err(format!("found '{lit}' expected: '('"));
        }
        let (tok, lit) = self.lookahead(Context::Values);
        match tok {
            Token::Identifier | Token::Comma => {
                let set = self.parse_identifiers_list()?;
                let (close, _) = self.consume(Context::Values);
                if close != Token::ClosedPar {
                    // Upstream reports the token seen before the list, not the bad one.
                    return Err(format!("found '{lit}', expected: ')'"));
                }
                Ok(set)
            }
            Token::ClosedPar => {
                self.consume(Context::Values);
                Ok(vec![String::new()])
            }
            _ => Err(format!("found '{lit}', expected: ',', ')' or identifier")),
        }
    }

    fn parse_identifiers_list(&mut self) -> Result<Vec<String>, String> {
        let mut set: Vec<String> = Vec::new();
        let insert = |set: &mut Vec<String>, v: String| {
            if !set.contains(&v) {
                set.push(v);
            }
        };
        loop {
            let (tok, lit) = self.consume(Context::Values);
            match tok {
                Token::Identifier => {
                    insert(&mut set, lit);
                    let (t2, l2) = self.lookahead(Context::Values);
                    match t2 {
                        Token::Comma => continue,
                        Token::ClosedPar => break,
                        _ => return Err(format!("found '{l2}', expected: ',' or ')'")),
                    }
                }
                Token::Comma => {
                    if set.is_empty() {
                        insert(&mut set, String::new());
                    }
                    let (t2, _) = self.lookahead(Context::Values);
                    if t2 == Token::ClosedPar {
                        insert(&mut set, String::new());
                        break;
                    }
                    if t2 == Token::Comma {
                        self.consume(Context::Values);
                        insert(&mut set, String::new());
                    }
                }
                _ => return Err(format!("found '{lit}', expected: ',', or identifier")),
            }
        }
        set.sort();
        Ok(set)
    }

    fn parse_exact_value(&mut self) -> Result<Vec<String>, String> {
        let (tok, _) = self.lookahead(Context::Values);
        if tok == Token::EndOfString || tok == Token::Comma {
            return Ok(vec![String::new()]);
        }
        let (tok, lit) = self.consume(Context::Values);
        if tok == Token::Identifier {
            Ok(vec![lit])
        } else {
            Err(format!("found '{lit}', expected: identifier"))
        }
    }
}

// ---------------------------------------------------------------------------
// Validation helpers with upstream's texts (k8s.io/apimachinery/pkg/util/validation)
// ---------------------------------------------------------------------------

const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_ERR: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_ERR: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_ERR: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{fmt}')");
    }
    let mut out = format!("{msg} (e.g. ");
    for (i, e) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push_str(&format!("'{e}', "));
    }
    out.push_str(&format!("regex used for validation is '{fmt}')"));
    out
}

fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => {
            f.is_ascii_alphanumeric()
                && l.is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

fn is_dns1123_subdomain(s: &str) -> bool {
    s.split('.').all(|label| {
        let b = label.as_bytes();
        let edge = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        match (b.first(), b.last()) {
            (Some(f), Some(l)) => edge(f) && edge(l) && b.iter().all(|c| edge(c) || *c == b'-'),
            _ => false,
        }
    })
}

/// Upstream's `IsQualifiedName`: the problems with a label key (empty when valid).
pub fn qualified_name_problems(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                if prefix.len() > 253 {
                    errs.push("prefix part must be no more than 253 characters".to_string());
                }
                if !is_dns1123_subdomain(prefix) {
                    errs.push(format!(
                        "prefix part {}",
                        regex_error(
                            DNS1123_SUBDOMAIN_ERR,
                            DNS1123_SUBDOMAIN_FMT,
                            &["example.com"]
                        )
                    ));
                }
            }
            *name
        }
        _ => {
            errs.push(format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, &["MyName", "my.name", "123-abc"])
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errs.push("name part must be no more than 63 characters".to_string());
    }
    if !is_qualified_name_part(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                QUALIFIED_NAME_ERR,
                QUALIFIED_NAME_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

/// Upstream's `IsValidLabelValue`: the problems with a label value (empty when valid).
pub fn label_value_problems(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 63 {
        errs.push("must be no more than 63 characters".to_string());
    }
    if !value.is_empty() && !is_qualified_name_part(value) {
        errs.push(regex_error(
            LABEL_VALUE_ERR,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

fn validate_label_key(key: &str, path: &str) -> Option<String> {
    let problems = qualified_name_problems(key);
    if problems.is_empty() {
        None
    } else {
        Some(format!(
            "{path}: Invalid value: {}: {}",
            go_quote(key),
            problems.join("; ")
        ))
    }
}

fn invalid_list(path: &str, values: &[String], detail: &str) -> String {
    // Go marshals a nil slice as `null`; the callers above always pass nil when empty.
    let shown = if values.is_empty() {
        "null".to_string()
    } else {
        serde_json::to_string(values).unwrap_or_else(|_| "[]".to_string())
    };
    format!("{path}: Invalid value: {shown}: {detail}")
}

/// Joins several errors the way `utilerrors.NewAggregate(...).Error()` does.
fn aggregate(mut errs: Vec<String>) -> String {
    errs.dedup();
    if errs.len() == 1 {
        errs.remove(0)
    } else {
        format!("[{}]", errs.join(", "))
    }
}

/// Quotes a string like Go's `%q`.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------
// Field selectors
// ---------------------------------------------------------------------------

/// The operator of one field selector term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOperator {
    /// `field=value` or `field==value`.
    Equals,
    /// `field!=value`.
    NotEquals,
}

/// One `field op value` term of a field selector (value unescaped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRequirement {
    /// The field label, e.g. `spec.nodeName`.
    pub field: String,
    /// The comparison.
    pub operator: FieldOperator,
    /// The literal value to compare with.
    pub value: String,
}

/// A parsed field selector: the AND of its terms. Empty matches everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldSelector {
    requirements: Vec<FieldRequirement>,
}

impl FieldSelector {
    /// Parses `a=b,c!=d` with upstream's `fields.ParseSelector` rules: terms split on
    /// unescaped commas, `\,` `\=` `\\` escapes in values.
    pub fn parse(input: &str) -> Result<Self, SelectorError> {
        let mut parts = split_terms(input);
        parts.sort();
        let mut requirements = Vec::new();
        for part in parts {
            if part.is_empty() {
                continue;
            }
            let Some((lhs, op, rhs)) = split_term(part) else {
                return Err(SelectorError::Field(format!(
                    "invalid selector: '{input}'; can't understand '{part}'"
                )));
            };
            let value = unescape_value(rhs)?;
            requirements.push(FieldRequirement {
                field: lhs.to_string(),
                operator: op,
                value,
            });
        }
        Ok(FieldSelector { requirements })
    }

    /// The terms, sorted as upstream sorts them.
    pub fn requirements(&self) -> &[FieldRequirement] {
        &self.requirements
    }

    /// Whether the selector places no restriction.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Checks every field against what the API server accepts for this group and kind
    /// and rewrites aliases (`spec.host`, `regarding.*`) to the canonical field, like
    /// upstream's `ConvertFieldLabel`. The error is the 400 message.
    pub fn convert(&self, group: &str, kind: &str) -> Result<FieldSelector, SelectorError> {
        let requirements = self
            .requirements
            .iter()
            .map(|r| {
                convert_field_label(group, kind, &r.field)
                    .map(|field| FieldRequirement {
                        field,
                        operator: r.operator,
                        value: r.value.clone(),
                    })
                    .map_err(SelectorError::UnsupportedField)
            })
            .collect::<Result<_, _>>()?;
        Ok(FieldSelector { requirements })
    }

    /// Whether an object whose field values `fields` returns is selected; a field the
    /// function does not know reads as the empty string, as in upstream's `fields.Set`.
    pub fn matches(&self, fields: &dyn Fn(&str) -> Option<String>) -> bool {
        self.requirements.iter().all(|r| {
            let have = fields(&r.field).unwrap_or_default();
            match r.operator {
                FieldOperator::Equals => have == r.value,
                FieldOperator::NotEquals => have != r.value,
            }
        })
    }

    /// [`FieldSelector::matches`] with values computed by [`field_value`] for `kind`.
    pub fn matches_object(&self, kind: &str, obj: &Value) -> bool {
        self.matches(&|f| field_value(kind, obj, f))
    }
}

impl fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let op = match r.operator {
                FieldOperator::Equals => "=",
                FieldOperator::NotEquals => "!=",
            };
            write!(f, "{}{op}{}", r.field, escape_field_value(&r.value))?;
        }
        Ok(())
    }
}

/// Escapes `\`, `,` and `=` in a field selector value.
pub fn escape_field_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn split_terms(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in s.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(&s[start..i]);
            start = i + 1;
        }
    }
    terms.push(&s[start..]);
    terms
}

fn split_term(term: &str) -> Option<(&str, FieldOperator, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for (op, kind) in [
            ("!=", FieldOperator::NotEquals),
            ("==", FieldOperator::Equals),
            ("=", FieldOperator::Equals),
        ] {
            if let Some(value) = rest.strip_prefix(op) {
                return Some((&term[..i], kind, value));
            }
        }
    }
    None
}

fn unescape_value(s: &str) -> Result<String, SelectorError> {
    let mut out = String::with_capacity(s.len());
    let mut in_slash = false;
    for c in s.chars() {
        if in_slash {
            if matches!(c, '\\' | ',' | '=') {
                out.push(c);
            } else {
                return Err(SelectorError::Field(format!(
                    "invalid field selector: invalid escape sequence: \\{c}"
                )));
            }
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            // Upstream prints the rune with %v, i.e. as its number.
            ',' | '=' => {
                return Err(SelectorError::Field(format!(
                    "invalid field selector: unescaped character in value: {}",
                    c as u32
                )))
            }
            c => out.push(c),
        }
    }
    if in_slash {
        return Err(SelectorError::Field(
            "invalid field selector: invalid escape sequence: \\".to_string(),
        ));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Per-kind field tables
// ---------------------------------------------------------------------------

const CORE_EVENT_FIELDS: &[&str] = &[
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
    "metadata.namespace",
    "metadata.name",
];

/// Maps a field label a client sent to the canonical field used for matching, or gives
/// the API server's error message when the group/kind does not support it.
///
/// Mirrors the field label conversion functions registered upstream (core/v1 Pod, Node,
/// ReplicationController, Event, Namespace, Secret, Service; batch/v1 Job;
/// certificates.k8s.io/v1 CertificateSigningRequest; events.k8s.io/v1 Event). Every
/// other kind (apps/v1 included) accepts only `metadata.name` and `metadata.namespace`.
pub fn convert_field_label(group: &str, kind: &str, label: &str) -> Result<String, String> {
    let not_supported = || Err(format!("field label not supported: {label}"));
    let accept = |allowed: &[&str]| {
        if allowed.contains(&label) {
            Ok(label.to_string())
        } else {
            not_supported()
        }
    };
    match (group, kind) {
        ("", "Pod") => match label {
            "spec.host" => Ok("spec.nodeName".to_string()),
            _ => accept(&[
                "metadata.name",
                "metadata.namespace",
                "spec.nodeName",
                "spec.restartPolicy",
                "spec.schedulerName",
                "spec.serviceAccountName",
                "spec.hostNetwork",
                "status.phase",
                "status.podIP",
                "status.podIPs",
                "status.nominatedNodeName",
            ]),
        },
        ("", "Node") => accept(&["metadata.name", "spec.unschedulable"]),
        ("", "ReplicationController") => {
            accept(&["metadata.name", "metadata.namespace", "status.replicas"])
        }
        ("", "Event") => accept(CORE_EVENT_FIELDS),
        ("", "Namespace") => accept(&["status.phase", "metadata.name"]),
        ("", "Secret") => accept(&["type", "metadata.namespace", "metadata.name"]),
        ("", "Service") => accept(&[
            "metadata.namespace",
            "metadata.name",
            "spec.clusterIP",
            "spec.type",
        ]),
        ("batch", "Job") => match label {
            "metadata.name" | "metadata.namespace" | "status.successful" => Ok(label.to_string()),
            _ => Err(format!(
                "field label {} not supported for batchv1.Job",
                go_quote(label)
            )),
        },
        ("certificates.k8s.io", "CertificateSigningRequest") => {
            accept(&["metadata.name", "spec.signerName"])
        }
        ("events.k8s.io", "Event") => {
            let mapped = match label {
                "reason" | "type" | "metadata.namespace" | "metadata.name" => label,
                "regarding.kind" => "involvedObject.kind",
                "regarding.namespace" => "involvedObject.namespace",
                "regarding.name" => "involvedObject.name",
                "regarding.uid" => "involvedObject.uid",
                "regarding.apiVersion" => "involvedObject.apiVersion",
                "regarding.resourceVersion" => "involvedObject.resourceVersion",
                "regarding.fieldPath" => "involvedObject.fieldPath",
                "reportingController" => "reportingComponent",
                _ => return not_supported(),
            };
            Ok(mapped.to_string())
        }
        _ => match label {
            "metadata.name" | "metadata.namespace" => Ok(label.to_string()),
            _ => Err(format!(
                "{} is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
                go_quote(label)
            )),
        },
    }
}

/// The API group a kind's field labels are looked up under when only the kind is known
/// (`Event` is taken as core/v1).
fn default_group(kind: &str) -> &'static str {
    match kind {
        "Job" => "batch",
        "CertificateSigningRequest" => "certificates.k8s.io",
        _ => "",
    }
}

/// Whether the API server accepts `field` in a field selector for `kind` (core/v1 for
/// `Event`; see [`convert_field_label`] for group-aware checks and the error text).
pub fn supported_field(kind: &str, field: &str) -> bool {
    convert_field_label(default_group(kind), kind, field).is_ok()
}

fn str_at(obj: &Value, pointer: &str) -> String {
    match obj.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn bool_at(obj: &Value, pointer: &str) -> String {
    obj.pointer(pointer)
        .and_then(Value::as_bool)
        .unwrap_or(false)
        .to_string()
}

fn int_at(obj: &Value, pointer: &str) -> String {
    obj.pointer(pointer)
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .to_string()
}

/// The value of a canonical field label of an object, as upstream's per-kind
/// `ToSelectableFields` computes it; `None` when the kind has no such selectable field.
/// Absent values read as `""` (or `false` / `0` for booleans and counts).
pub fn field_value(kind: &str, obj: &Value, field: &str) -> Option<String> {
    match field {
        "metadata.name" => return Some(str_at(obj, "/metadata/name")),
        "metadata.namespace" => return Some(str_at(obj, "/metadata/namespace")),
        _ => {}
    }
    let v = match (kind, field) {
        ("Pod", "spec.nodeName") => str_at(obj, "/spec/nodeName"),
        ("Pod", "spec.restartPolicy") => str_at(obj, "/spec/restartPolicy"),
        ("Pod", "spec.schedulerName") => str_at(obj, "/spec/schedulerName"),
        ("Pod", "spec.serviceAccountName") => str_at(obj, "/spec/serviceAccountName"),
        ("Pod", "spec.hostNetwork") => bool_at(obj, "/spec/hostNetwork"),
        ("Pod", "status.phase") => str_at(obj, "/status/phase"),
        ("Pod", "status.podIP") => {
            let first = str_at(obj, "/status/podIPs/0/ip");
            if first.is_empty() {
                str_at(obj, "/status/podIP")
            } else {
                first
            }
        }
        ("Pod", "status.nominatedNodeName") => str_at(obj, "/status/nominatedNodeName"),
        ("Node", "spec.unschedulable") => bool_at(obj, "/spec/unschedulable"),
        ("Namespace", "status.phase") => str_at(obj, "/status/phase"),
        ("Secret", "type") => str_at(obj, "/type"),
        ("Service", "spec.clusterIP") => str_at(obj, "/spec/clusterIP"),
        ("Service", "spec.type") => str_at(obj, "/spec/type"),
        ("ReplicationController" | "ReplicaSet", "status.replicas") => {
            int_at(obj, "/status/replicas")
        }
        ("Job", "status.successful") => int_at(obj, "/status/succeeded"),
        ("CertificateSigningRequest", "spec.signerName") => str_at(obj, "/spec/signerName"),
        ("Event", f) => return event_field(obj, f),
        _ => return None,
    };
    Some(v)
}

fn event_field(obj: &Value, field: &str) -> Option<String> {
    // events.k8s.io/v1 objects carry the same data under other names.
    let new_api = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with("events.k8s.io/"))
        || obj.get("regarding").is_some();
    let (involved, controller, source) = if new_api {
        (
            "/regarding",
            "/reportingController",
            "/deprecatedSource/component",
        )
    } else {
        (
            "/involvedObject",
            "/reportingComponent",
            "/source/component",
        )
    };
    let sub = |name: &str| str_at(obj, &format!("{involved}/{name}"));
    Some(match field {
        "involvedObject.kind" => sub("kind"),
        "involvedObject.namespace" => sub("namespace"),
        "involvedObject.name" => sub("name"),
        "involvedObject.uid" => sub("uid"),
        "involvedObject.apiVersion" => sub("apiVersion"),
        "involvedObject.resourceVersion" => sub("resourceVersion"),
        "involvedObject.fieldPath" => sub("fieldPath"),
        "reason" => str_at(obj, "/reason"),
        "type" => str_at(obj, "/type"),
        "reportingComponent" => {
            // core/v1 serializes the field as reportingComponent.
            let c = str_at(obj, controller);
            if c.is_empty() && !new_api {
                str_at(obj, "/reportingController")
            } else {
                c
            }
        }
        "source" => {
            let s = str_at(obj, source);
            if s.is_empty() {
                let c = str_at(obj, controller);
                if c.is_empty() {
                    str_at(obj, "/reportingController")
                } else {
                    c
                }
            } else {
                s
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn perr(s: &str) -> String {
        match LabelSelector::parse(s) {
            Ok(sel) => panic!("{s:?} parsed as {sel}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn parses_and_prints_canonical_form() {
        let cases = [
            ("", ""),
            ("a=b", "a=b"),
            ("a==b", "a==b"),
            ("a!=b", "a!=b"),
            (" x in ( foo , bar ) ", "x in (bar,foo)"),
            ("x notin (foo)", "x notin (foo)"),
            ("a", "a"),
            ("!a", "!a"),
            ("z=1,a=2,m", "a=2,m,z=1"),
            (
                "x in (foo,,baz),y,z notin ()",
                "x in (,baz,foo),y,z notin ()",
            ),
            ("a=", "a="),
            ("a in (in),in=notin", "a in (in),in=notin"),
            ("k>5,k2<3", "k>5,k2<3"),
            ("example.com/app=web", "example.com/app=web"),
            ("a=b,\tc = d", "a=b,c=d"),
        ];
        for (input, want) in cases {
            let sel = LabelSelector::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(sel.to_string(), want, "input {input:?}");
        }
        assert!(LabelSelector::parse("")
            .map(|s| s.is_empty())
            .unwrap_or(false));
        assert!(LabelSelector::parse(" ")
            .map(|s| s.is_empty())
            .unwrap_or(false));
    }

    #[test]
    fn matches_labels() {
        let l = labels(json!({"app": "web", "tier": "fe", "n": "7"}));
        let yes = [
            "",
            "app=web",
            "app==web",
            "app!=db",
            "missing!=x",
            "tier in (fe,be)",
            "tier notin (be)",
            "missing notin (x)",
            "app",
            "!missing",
            "app=web,tier=fe",
            "n>5",
            "n<8",
        ];
        for s in yes {
            let sel = LabelSelector::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert!(sel.matches(&l), "{s} should match");
        }
        let no = [
            "app=db",
            "app!=web",
            "tier in (be)",
            "tier notin (fe)",
            "missing",
            "!app",
            "missing in (x)",
            "app=web,tier=be",
            "n>7",
            "app>1",
            "missing<3",
        ];
        for s in no {
            let sel = LabelSelector::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert!(!sel.matches(&l), "{s} should not match");
        }
    }

    #[test]
    fn parse_errors_read_like_upstream() {
        assert_eq!(
            perr("a b"),
            "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"
        );
        assert_eq!(perr("a=b,"), "found '', expected: identifier after ','");
        assert_eq!(
            perr("=b"),
            "found '=', expected: !, identifier, or 'end of string'"
        );
        assert_eq!(perr("a=b c"), "found 'c', expected: ',' or 'end of string'");
        assert_eq!(
            perr("x in foo"),
            "unable to parse requirement: found 'foo' expected: '('"
        );
        assert_eq!(
            perr("x in (foo"),
            "unable to parse requirement: found '', expected: ',' or ')'"
        );
        assert_eq!(
            perr("x in (foo bar)"),
            "unable to parse requirement: found 'bar', expected: ',' or ')'"
        );
        assert_eq!(
            perr("x in (="),
            "unable to parse requirement: found '=', expected: ',', ')' or identifier"
        );
        assert_eq!(
            perr("a=(b)"),
            "unable to parse requirement: found '(', expected: identifier"
        );
        assert_eq!(
            perr("!"),
            "unable to parse requirement: found '', expected: identifier"
        );
        assert_eq!(perr("!a=b"), "found '=', expected: ',' or 'end of string'");
        assert_eq!(
            perr("a%=b"),
            "unable to parse requirement: <nil>: Invalid value: \"a%\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        );
        assert_eq!(
            perr("Ex.com/a=b"),
            "unable to parse requirement: <nil>: Invalid value: \"Ex.com/a\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        );
        assert_eq!(
            perr("app=a@b"),
            "unable to parse requirement: values[0][app]: Invalid value: \"a@b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        );
        assert_eq!(
            perr("n>x"),
            "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"
        );
        let long = "a".repeat(64);
        assert!(perr(&format!("{long}=b")).contains("name part must be no more than 63 characters"));
    }

    #[test]
    fn converts_object_form() {
        let sel = LabelSelector::from_label_selector_json(&json!({
            "matchLabels": {"app": "web", "b": "x"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["fe", "be"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "env", "operator": "NotIn", "values": ["prod"]},
                {"key": "track", "operator": "Exists"}
            ]
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            sel.to_string(),
            "app=web,b=x,!canary,env notin (prod),tier in (be,fe),track"
        );
        let l = labels(json!({"app": "web", "b": "x", "tier": "fe", "track": "1"}));
        assert!(sel.matches(&l));
        let l2 = labels(json!({"app": "web", "b": "x", "tier": "fe", "track": "1", "canary": ""}));
        assert!(!sel.matches(&l2));

        let nothing = LabelSelector::from_label_selector_json(&Value::Null);
        assert!(nothing
            .as_ref()
            .is_ok_and(|s| s.is_nothing() && !s.matches(&l)));
        let everything = LabelSelector::from_label_selector_json(&json!({}));
        assert!(everything
            .as_ref()
            .is_ok_and(|s| s.is_empty() && s.matches(&l)));
    }

    #[test]
    fn object_form_errors() {
        let err = |v: Value| match LabelSelector::from_label_selector_json(&v) {
            Ok(s) => panic!("accepted {s}"),
            Err(e) => e.to_string(),
        };
        assert_eq!(
            err(json!({"matchExpressions": [{"key": "a", "operator": "Foo"}]})),
            "\"Foo\" is not a valid label selector operator"
        );
        assert_eq!(
            err(json!({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]})),
            "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"
        );
        assert_eq!(
            err(json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]})),
            "values: Invalid value: [\"x\"]: values set must be empty for exists and does not exist"
        );
        assert!(err(json!({"matchLabels": {"a b": "c"}}))
            .starts_with("key: Invalid value: \"a b\": name part"));
        assert!(err(json!({"matchLabels": {"a": "-c"}}))
            .starts_with("values[0][a]: Invalid value: \"-c\""));
    }

    #[test]
    fn formats_labels_and_selectors() {
        assert_eq!(format_labels(None), "<none>");
        assert_eq!(
            format_labels(Some(&labels(json!({"b": "2", "a": "1"})))),
            "a=1,b=2"
        );
        assert_eq!(format_label_selector(&json!({})), "<none>");
        assert_eq!(format_label_selector(&Value::Null), "<none>");
        assert_eq!(
            format_label_selector(&json!({"matchLabels": {"app": "web"}})),
            "app=web"
        );
        assert_eq!(
            format_label_selector(&json!({"matchExpressions": [{"key": "a", "operator": "Bad"}]})),
            "<error>"
        );
    }

    #[test]
    fn field_selector_grammar() {
        let s = FieldSelector::parse("status.phase=Running,spec.nodeName!=n1").unwrap_or_default();
        assert_eq!(s.to_string(), "spec.nodeName!=n1,status.phase=Running");
        let s = FieldSelector::parse("a==b").unwrap_or_default();
        assert_eq!(s.requirements()[0].operator, FieldOperator::Equals);
        assert_eq!(s.requirements()[0].value, "b");
        let s = FieldSelector::parse("a=x\\,y\\=z\\\\").unwrap_or_default();
        assert_eq!(s.requirements()[0].value, "x,y=z\\");
        assert_eq!(s.to_string(), "a=x\\,y\\=z\\\\");
        assert!(FieldSelector::parse("").is_ok_and(|s| s.is_empty()));
        assert!(FieldSelector::parse(",,").is_ok_and(|s| s.is_empty()));
        assert!(FieldSelector::parse("a=").is_ok_and(|s| s.requirements()[0].value.is_empty()));

        let e = |s: &str| FieldSelector::parse(s).err().map(|e| e.to_string());
        assert_eq!(
            e("foo"),
            Some("invalid selector: 'foo'; can't understand 'foo'".to_string())
        );
        assert_eq!(
            e("a=b=c"),
            Some("invalid field selector: unescaped character in value: 61".to_string())
        );
        assert_eq!(
            e("a=b\\x"),
            Some("invalid field selector: invalid escape sequence: \\x".to_string())
        );
        assert_eq!(
            e("a=b\\"),
            Some("invalid field selector: invalid escape sequence: \\".to_string())
        );
    }

    #[test]
    fn field_selector_matching_on_pods() {
        let pod = json!({
            "metadata": {"name": "web-1", "namespace": "default"},
            "spec": {"nodeName": "node-a", "restartPolicy": "Always", "schedulerName": "default-scheduler", "serviceAccountName": "default"},
            "status": {"phase": "Running", "podIP": "10.0.0.5", "podIPs": [{"ip": "10.0.0.5"}]}
        });
        let m = |s: &str| {
            FieldSelector::parse(s)
                .and_then(|s| s.convert("", "Pod"))
                .map(|s| s.matches_object("Pod", &pod))
        };
        assert_eq!(m("spec.nodeName=node-a"), Ok(true));
        assert_eq!(m("spec.host=node-a"), Ok(true));
        assert_eq!(m("spec.nodeName!=node-a"), Ok(false));
        assert_eq!(
            m("status.phase=Running,metadata.namespace=default"),
            Ok(true)
        );
        assert_eq!(m("spec.hostNetwork=false"), Ok(true));
        assert_eq!(m("status.podIP=10.0.0.5"), Ok(true));
        assert_eq!(m("status.nominatedNodeName="), Ok(true));
        assert_eq!(m("status.podIPs=10.0.0.5"), Ok(false));
        assert_eq!(
            m("spec.foo=bar"),
            Err(SelectorError::UnsupportedField(
                "field label not supported: spec.foo".to_string()
            ))
        );
    }

    #[test]
    fn field_support_per_kind() {
        assert!(supported_field("Pod", "spec.nodeName"));
        assert!(supported_field("Node", "spec.unschedulable"));
        assert!(!supported_field("Node", "metadata.namespace"));
        assert!(supported_field("Secret", "type"));
        assert!(supported_field("Event", "involvedObject.name"));
        assert!(supported_field("Namespace", "status.phase"));
        assert!(supported_field("Service", "spec.clusterIP"));
        assert!(supported_field("Job", "status.successful"));
        assert!(supported_field(
            "CertificateSigningRequest",
            "spec.signerName"
        ));
        assert!(supported_field("ConfigMap", "metadata.namespace"));
        assert!(!supported_field("Deployment", "status.replicas"));
        assert_eq!(
            convert_field_label("", "ConfigMap", "data.x"),
            Err("\"data.x\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"".to_string())
        );
        assert_eq!(
            convert_field_label("batch", "Job", "status.failed"),
            Err("field label \"status.failed\" not supported for batchv1.Job".to_string())
        );
        assert_eq!(
            convert_field_label("events.k8s.io", "Event", "regarding.name"),
            Ok("involvedObject.name".to_string())
        );
        assert!(convert_field_label("events.k8s.io", "Event", "involvedObject.name").is_err());
    }

    #[test]
    fn field_values_of_other_kinds() {
        let node = json!({"metadata": {"name": "n1"}, "spec": {"unschedulable": true}});
        assert_eq!(
            field_value("Node", &node, "spec.unschedulable").as_deref(),
            Some("true")
        );
        let secret = json!({"metadata": {"name": "s"}, "type": "kubernetes.io/tls"});
        assert_eq!(
            field_value("Secret", &secret, "type").as_deref(),
            Some("kubernetes.io/tls")
        );
        let job = json!({"status": {"succeeded": 2}});
        assert_eq!(
            field_value("Job", &job, "status.successful").as_deref(),
            Some("2")
        );
        let ev = json!({
            "apiVersion": "v1", "kind": "Event",
            "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "default"},
            "reason": "BackOff", "type": "Warning", "reportingComponent": "kubelet",
            "source": {}
        });
        assert_eq!(
            field_value("Event", &ev, "involvedObject.kind").as_deref(),
            Some("Pod")
        );
        assert_eq!(
            field_value("Event", &ev, "source").as_deref(),
            Some("kubelet")
        );
        let ev2 = json!({
            "apiVersion": "events.k8s.io/v1",
            "regarding": {"kind": "Node", "name": "n1"},
            "reportingController": "berth"
        });
        assert_eq!(
            field_value("Event", &ev2, "involvedObject.name").as_deref(),
            Some("n1")
        );
        assert_eq!(
            field_value("Event", &ev2, "reportingComponent").as_deref(),
            Some("berth")
        );
        assert_eq!(field_value("ConfigMap", &node, "data"), None);
    }
}
