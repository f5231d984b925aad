//! 批量导入 — the administrator's bulk import of units and users from a CSV file: the file's
//! limits, its columns, and each line read into what would be created, every fault named by
//! its line and field (`line[6].unit_code` reads "第 7 行的单位代码"). What only the database
//! knows — a code or a username that exists, the region, the parent unit — the store checks.
//!
//! The header row names the columns in any language of the catalogue or by their codes, in any
//! order; codes (kinds, roles, categories) are written as codes or as their labels. Lines that
//! are blank are skipped; a line is counted where its record starts, as a spreadsheet shows it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::case::{CaseRegistration, Category};
use crate::case_import::{Column, Row, SheetCell, coded};
use crate::i18n::{T, UiLang};
use crate::msg;
use crate::org::{RegionCode, Role, UnitKind};
use crate::validation::{Arg, FieldError, Message};

/// The largest file accepted, in bytes.
pub const MAX_BYTES: usize = 128 * 1024;
/// The most lines of data one file may hold (the header row not counted).
pub const MAX_ROWS: usize = 500;
/// The longest unit code.
const UNIT_CODE_MAX: usize = 32;

/// What a file creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Units,
    Users,
}

impl ImportKind {
    pub const ALL: [ImportKind; 2] = [ImportKind::Units, ImportKind::Users];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Units => "units",
            ImportKind::Users => "users",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == code)
    }

    /// The columns, in the template's order: the field and whether every line must fill it.
    pub fn columns(self) -> &'static [(&'static str, bool)] {
        match self {
            ImportKind::Units => &[
                ("unit_code", true),
                ("name", true),
                ("kind", true),
                ("region_code", true),
                ("parent_code", false),
                ("categories", false),
                ("phone", false),
            ],
            ImportKind::Users => &[("username", true), ("display_name", true), ("role", true), ("unit_code", true)],
        }
    }

    /// The template: the header row in `t`'s language, after a byte-order mark so that Excel
    /// opens it as UTF-8.
    pub fn template(self, t: T) -> String {
        let header: Vec<String> = self.columns().iter().map(|(field, _)| t.field(field)).collect();
        format!("\u{feff}{}\r\n", header.join(","))
    }
}

/// A line of the file as written: its number and its cells in the columns' order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub line: usize,
    pub cells: Vec<String>,
}

/// A unit to create.
#[derive(Debug, Clone)]
pub struct UnitRow {
    pub line: usize,
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub region_code: RegionCode,
    /// The code of the parent unit: one that exists, or one on an earlier line.
    pub parent_code: Option<String>,
    pub categories: Vec<Category>,
    pub phone: Option<String>,
}

/// A staff user to create (the password is generated when it is written).
#[derive(Debug, Clone)]
pub struct UserRow {
    pub line: usize,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_code: String,
}

/// A file read: every line as written, what the faultless lines create, and every fault.
#[derive(Debug, Clone)]
pub struct Import<R> {
    pub lines: Vec<Line>,
    pub rows: Vec<R>,
    pub faults: Vec<FieldError>,
}

/// The path of a field on a line of the file: `line[6].unit_code`, "第 7 行的单位代码".
pub fn line_field(line: usize, field: &str) -> String {
    format!("line[{}].{field}", line.saturating_sub(1))
}

/// The sending system's own number on row `line` (a work order's, a court case's), its
/// column `field`: required, at most `max` characters, and — written twice in one file — a
/// fault of the later row (`first_line_of` keeps where each number was first seen).
fn row_number(
    line: usize,
    field: &str,
    value: Option<String>,
    max: usize,
    first_line_of: &mut HashMap<String, usize>,
    faults: &mut Vec<FieldError>,
) -> Option<String> {
    match &value {
        None => faults.push(FieldError::required(line_field(line, field))),
        Some(n) if n.chars().count() > max => {
            faults.push(FieldError::new(line_field(line, field), "too_long", msg!("case_import.too_long", max = max)))
        }
        Some(n) => match first_line_of.get(n) {
            Some(first) => faults.push(FieldError::new(
                line_field(line, field),
                "repeated",
                msg!("import.repeated", first = *first),
            )),
            None => {
                first_line_of.insert(n.clone(), line);
            }
        },
    }
    value
}

/// The line a fault names (`line[6]…` → 7).
pub fn fault_line(field: &str) -> Option<usize> {
    let index = field.strip_prefix("line[")?.split(']').next()?;
    index.parse::<usize>().ok().map(|i| i + 1)
}

/// How a sending system's workbook (a court's referrals, a 12345 centre's work orders) reads
/// as registrations: its columns, the column of the sender's own number and that number's
/// longest form, and the column each registration field comes from.
pub struct SentSheet {
    pub columns: &'static [Column],
    pub number_field: &'static str,
    pub number_max: usize,
    pub column_of: fn(&str) -> &str,
}

/// One row of a sent workbook as the registration reads it: its cells by column, and the
/// category already read from its words or code.
pub struct SentCells<'a> {
    columns: &'static [Column],
    shown: &'a [String],
    pub category: Option<Category>,
}

impl SentCells<'_> {
    /// The cell of column `field`, if it is written.
    pub fn get(&self, field: &str) -> Option<String> {
        let index = self.columns.iter().position(|(f, _, _)| *f == field)?;
        self.shown.get(index).filter(|v| !v.is_empty()).cloned()
    }
}

/// One faultless row of a sent workbook: its row, the sender's number and the dispute as a
/// registration.
#[derive(Debug)]
pub struct SentItem {
    pub line: usize,
    pub number: String,
    pub registration: CaseRegistration,
}

/// A sent workbook read: every row as written, the faultless rows, every fault, and each
/// row's well-formed region code — which only the organisation can tell is its own.
#[derive(Debug)]
pub struct SentImport {
    pub rows: Vec<Row>,
    pub items: Vec<SentItem>,
    pub faults: Vec<FieldError>,
    pub regions: Vec<(usize, RegionCode)>,
}

/// Reads the placed rows of a sent workbook (see [`crate::case_import::sheet_rows`]) row by
/// row, as the registration checks a case (`now` bounds its times): each row's `registration`
/// built from its cells, a fault named by its row and column (`line[6].applicant_phone`), and
/// a number written twice a fault of its later row.
pub fn sent_rows(
    placed: Vec<(usize, Vec<SheetCell>)>,
    sheet: &SentSheet,
    now: DateTime<Utc>,
    registration: impl Fn(&SentCells) -> CaseRegistration,
) -> SentImport {
    let mut read = SentImport { rows: Vec::new(), items: Vec::new(), faults: Vec::new(), regions: Vec::new() };
    let mut first_line_of: HashMap<String, usize> = HashMap::new();
    for (line, cells) in placed {
        let shown: Vec<String> = cells.iter().map(SheetCell::shown).collect();
        let mut cells = SentCells { columns: sheet.columns, shown: &shown, category: None };
        let mut row_faults = Vec::new();
        let number = cells.get(sheet.number_field);
        let number =
            row_number(line, sheet.number_field, number, sheet.number_max, &mut first_line_of, &mut row_faults);
        cells.category = cells.get("category").and_then(|value| {
            coded(line_field(line, "category"), &value, "category", Category::ALL, Category::as_str)
                .map_err(|fault| row_faults.push(fault))
                .ok()
        });
        if let Some(code) = cells.get("region_code").and_then(|code| RegionCode::parse(&code).ok()) {
            read.regions.push((line, code));
        }
        if let Err(errors) = registration(&cells).validate(now) {
            row_faults.extend(errors.into_iter().map(|mut fault| {
                fault.field = line_field(line, (sheet.column_of)(&fault.field));
                fault
            }));
        }
        if row_faults.is_empty() {
            let registration = registration(&cells);
            read.items.push(SentItem { line, number: number.unwrap_or_default(), registration });
        }
        read.faults.extend(row_faults);
        read.rows.push(Row { line, cells: shown });
    }
    read
}

/// Reads a file of units; `Err` with the faults of the file as a whole.
pub fn units(text: &str) -> Result<Import<UnitRow>, Vec<FieldError>> {
    let lines = read(ImportKind::Units, text)?;
    let mut faults = Vec::new();
    let mut rows = Vec::new();
    let mut first_line_of: HashMap<String, usize> = HashMap::new();
    for line in &lines {
        let mut cells = Cells::new(line, ImportKind::Units, &mut faults);
        let code = cells.required("unit_code").and_then(|c| cells.unit_code("unit_code", c));
        let name = cells.required("name");
        let kind =
            cells.required("kind").and_then(|k| cells.coded("kind", "unit_kind", k, UnitKind::ALL, UnitKind::as_str));
        let region_code = cells.required("region_code").and_then(|r| cells.region("region_code", r));
        let parent_code = cells.optional("parent_code").and_then(|c| cells.unit_code("parent_code", c));
        let categories = cells.categories("categories");
        let phone = cells.optional("phone");
        if let Some(code) = &code {
            cells.once("unit_code", code, &mut first_line_of);
        }
        if let (Some(code), Some(name), Some(kind), Some(region_code), Some(categories), false) =
            (code, name, kind, region_code, categories, cells.faulted)
        {
            rows.push(UnitRow {
                line: line.line,
                code: code.to_owned(),
                name: name.to_owned(),
                kind,
                region_code,
                parent_code: parent_code.map(str::to_owned),
                categories,
                phone: phone.map(str::to_owned),
            });
        }
    }
    Ok(Import { lines, rows, faults })
}

/// Reads a file of users; `Err` with the faults of the file as a whole.
pub fn users(text: &str) -> Result<Import<UserRow>, Vec<FieldError>> {
    let lines = read(ImportKind::Users, text)?;
    let staff: Vec<Role> = Role::ALL.iter().copied().filter(|r| *r != Role::Citizen).collect();
    let mut faults = Vec::new();
    let mut rows = Vec::new();
    let mut first_line_of: HashMap<String, usize> = HashMap::new();
    for line in &lines {
        let mut cells = Cells::new(line, ImportKind::Users, &mut faults);
        let username = cells.required("username");
        let display_name = cells.required("display_name");
        let role = cells.required("role").and_then(|r| cells.coded("role", "role", r, &staff, Role::as_str));
        let unit_code = cells.required("unit_code").and_then(|c| cells.unit_code("unit_code", c));
        if let Some(username) = username {
            cells.once("username", username, &mut first_line_of);
        }
        if let (Some(username), Some(display_name), Some(role), Some(unit_code), false) =
            (username, display_name, role, unit_code, cells.faulted)
        {
            rows.push(UserRow {
                line: line.line,
                username: username.to_owned(),
                display_name: display_name.to_owned(),
                role,
                unit_code: unit_code.to_owned(),
            });
        }
    }
    Ok(Import { lines, rows, faults })
}

/// The faults of a unit code (1 to 32 letters, digits, `-`, `_` or `.`), named as `field`.
pub fn unit_code_fault(field: &str, code: &str) -> Option<FieldError> {
    let valid = !code.is_empty()
        && code.len() <= UNIT_CODE_MAX
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    (!valid).then(|| FieldError::new(field, "invalid_code", msg!("import.unit_code_format", max = UNIT_CODE_MAX)))
}

/// The file's lines of data, their cells in the columns' order; `Err` with what is wrong with
/// the file as a whole (no header, a column missing or unknown, no line or too many).
fn read(kind: ImportKind, text: &str) -> Result<Vec<Line>, Vec<FieldError>> {
    let file_fault = |message: Message| vec![FieldError::new("file", "invalid_file", message)];
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = loop {
        match records.next() {
            None => return Err(file_fault(msg!("import.no_header"))),
            Some(Err(_)) => return Err(file_fault(msg!("import.unreadable"))),
            Some(Ok(record)) if record.iter().all(str::is_empty) => continue,
            Some(Ok(record)) => break record,
        }
    };
    let columns = kind.columns();
    let mut faults = Vec::new();
    let mut position: Vec<Option<usize>> = Vec::new();
    for name in &header {
        let found = columns.iter().position(|(field, _)| names_column(name, field));
        if found.is_none() && !name.is_empty() {
            faults.push(FieldError::new("file", "unknown_column", msg!("import.unknown_column", name = name)));
        }
        position.push(found);
    }
    for (index, (field, required)) in columns.iter().enumerate() {
        if *required && !position.contains(&Some(index)) {
            faults.push(FieldError::new(
                "file",
                "missing_column",
                msg!("import.missing_column", column = Arg::field(*field)),
            ));
        }
    }
    if !faults.is_empty() {
        return Err(faults);
    }
    let mut lines = Vec::new();
    for record in records {
        let Ok(record) = record else { return Err(file_fault(msg!("import.unreadable"))) };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let line = line_at(text, record.position().map_or(0, |p| p.byte() as usize));
        let mut cells = vec![String::new(); columns.len()];
        let mut extra = false;
        for (i, value) in record.iter().enumerate() {
            match position.get(i).copied().flatten() {
                Some(column) => cells[column] = value.to_owned(),
                None => extra |= !value.is_empty(),
            }
        }
        if extra {
            faults.push(FieldError::new(
                line_field(line, "").trim_end_matches('.'),
                "extra_cells",
                msg!("import.extra_cells"),
            ));
        }
        lines.push(Line { line, cells });
    }
    if !faults.is_empty() {
        return Err(faults);
    }
    if lines.is_empty() {
        return Err(file_fault(msg!("import.no_rows")));
    }
    if lines.len() > MAX_ROWS {
        return Err(file_fault(msg!("import.too_many_rows", rows = lines.len(), max = MAX_ROWS)));
    }
    Ok(lines)
}

/// The line a record begins on. The reader places a record where the previous one's line
/// break ends (`\r` then `\n`), so the record's first character is found past the breaks.
fn line_at(text: &str, byte: usize) -> usize {
    let start = text[byte.min(text.len())..].find(|c| c != '\r' && c != '\n').map_or(text.len(), |skip| byte + skip);
    1 + text.as_bytes()[..start].iter().filter(|&&b| b == b'\n').count()
}

/// Whether a header cell names the column `field`: its code, or its words in any language.
fn names_column(name: &str, field: &str) -> bool {
    let name = name.trim().trim_end_matches('*').trim();
    name.eq_ignore_ascii_case(field)
        || UiLang::ALL.iter().any(|&lang| T { lang }.field(field).eq_ignore_ascii_case(name))
}

/// One line's cells as they are read, its faults recorded as they are found.
struct Cells<'a> {
    line: &'a Line,
    kind: ImportKind,
    faults: &'a mut Vec<FieldError>,
    faulted: bool,
}

impl<'a> Cells<'a> {
    fn new(line: &'a Line, kind: ImportKind, faults: &'a mut Vec<FieldError>) -> Self {
        Cells { line, kind, faults, faulted: false }
    }

    fn fault(&mut self, error: FieldError) {
        self.faults.push(error);
        self.faulted = true;
    }

    fn field(&self, field: &str) -> String {
        line_field(self.line.line, field)
    }

    fn optional(&self, field: &str) -> Option<&'a str> {
        let index = self.kind.columns().iter().position(|(f, _)| *f == field)?;
        let line: &'a Line = self.line;
        line.cells.get(index).map(String::as_str).filter(|v| !v.is_empty())
    }

    fn required(&mut self, field: &str) -> Option<&'a str> {
        let value = self.optional(field);
        if value.is_none() {
            self.fault(FieldError::required(self.field(field)));
        }
        value
    }

    fn unit_code(&mut self, field: &str, code: &'a str) -> Option<&'a str> {
        match unit_code_fault(&self.field(field), code) {
            Some(fault) => {
                self.fault(fault);
                None
            }
            None => Some(code),
        }
    }

    fn region(&mut self, field: &str, code: &str) -> Option<RegionCode> {
        match RegionCode::parse(code) {
            Ok(region) => Some(region),
            Err(e) => {
                let fault = FieldError::new(
                    self.field(field),
                    "invalid_region",
                    msg!("region_code.invalid", reason = e.message()),
                );
                self.fault(fault);
                None
            }
        }
    }

    /// A code of `all`, written as its code or as its label (`kind` of the catalogue's codes)
    /// in any language.
    fn coded<C: Copy>(
        &mut self,
        field: &str,
        kind: &str,
        value: &str,
        all: &[C],
        code: fn(C) -> &'static str,
    ) -> Option<C> {
        let found = all.iter().copied().find(|c| names_code(value, kind, code(*c)));
        if found.is_none() {
            let labels =
                all.iter().map(|c| msg!("import.label", label = Arg::code(code_kind(kind), code(*c)))).collect();
            self.fault(FieldError::new(
                self.field(field),
                "invalid_code",
                msg!("import.not_one_of", labels = Arg::List(labels)),
            ));
        }
        found
    }

    /// Categories, separated by spaces, commas or 、; `None` when one is unknown.
    fn categories(&mut self, field: &str) -> Option<Vec<Category>> {
        let Some(value) = self.optional(field) else { return Some(Vec::new()) };
        let mut categories = Vec::new();
        for word in value.split([' ', ',', '，', '、', ';', '；', '|']).filter(|w| !w.is_empty()) {
            match Category::ALL.iter().copied().find(|c| names_code(word, "category", c.as_str())) {
                Some(category) if !categories.contains(&category) => categories.push(category),
                Some(_) => {}
                None => {
                    self.fault(FieldError::new(
                        self.field(field),
                        "invalid_code",
                        msg!("org.no_such_category", code = word),
                    ));
                    return None;
                }
            }
        }
        Some(categories)
    }

    /// Records that `value` of `field` is on this line, or the fault that an earlier line has it
    /// (the line is still checked against the data, so that all its faults are told at once).
    fn once(&mut self, field: &str, value: &str, first_line_of: &mut HashMap<String, usize>) {
        match first_line_of.get(value) {
            Some(&first) => {
                let fault = FieldError::new(self.field(field), "repeated", msg!("import.repeated", first = first));
                self.faults.push(fault);
            }
            None => {
                first_line_of.insert(value.to_owned(), self.line.line);
            }
        }
    }
}

/// The catalogue's kind of labels for a code kind (a `'static` name for [`Arg::code`]).
fn code_kind(kind: &str) -> &'static str {
    match kind {
        "role" => "role",
        "category" => "category",
        _ => "unit_kind",
    }
}

/// Whether `value` is `code` of `kind`, or its label in any language.
fn names_code(value: &str, kind: &str, code: &str) -> bool {
    value.eq_ignore_ascii_case(code)
        || UiLang::ALL.iter().any(|&lang| T { lang }.code(kind, code).eq_ignore_ascii_case(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faults(errors: &[FieldError]) -> Vec<String> {
        errors.iter().map(|e| T::default().msg(&e.message())).collect()
    }

    #[test]
    fn a_unit_file_reads_labels_codes_and_a_bom_and_names_each_fault_by_its_line() {
        let text = "\u{feff}单位代码,名称,类型,行政区划代码,上级单位代码,受理类型,联系电话\r\n\
                    JY01,嘉峪关路街道综治中心,综治中心,620102003000,,,\r\n\
                    \r\n\
                    JY02,嘉峪关路街道调委会,mediation_committee,620102003000,JY01,邻里、婚姻家庭,0931-8888888\r\n\
                    JY01,重复的,综治中心,620102003000,,,\r\n\
                    ,无代码,派出所,6201,,,\r\n";
        let import = units(text).unwrap();
        assert_eq!(import.lines.len(), 4);
        assert_eq!(import.rows.len(), 3, "a repeated code is a fault, the line is still checked");
        assert_eq!(import.rows[1].line, 4);
        assert_eq!(import.rows[1].kind, UnitKind::MediationCommittee);
        assert_eq!(import.rows[1].categories, [Category::Neighbor, Category::MarriageFamily]);
        assert_eq!(import.rows[1].parent_code.as_deref(), Some("JY01"));
        let said = faults(&import.faults);
        assert_eq!(said[0], "第 5 行的单位代码重复：与第 2 行相同");
        assert_eq!(said[1], "第 6 行的单位代码为必填项");
        assert!(said[2].starts_with("第 6 行的类型应为以下之一：综治中心"), "{}", said[2]);
        assert!(said[3].starts_with("第 6 行的行政区划代码"), "{}", said[3]);
        assert_eq!(fault_line(&import.faults[0].field), Some(5));
    }

    #[test]
    fn a_user_file_takes_english_headers_in_any_order_and_roles_by_label() {
        let text =
            "Role,Username,Name,Unit code\n调解员,li_na,李娜,JY02\ncitizen,wang,王,JY02\nmediator,li_na,李娜,JY02\n";
        let import = users(text).unwrap();
        assert_eq!(import.rows.len(), 2);
        assert_eq!(import.rows[0].role, Role::Mediator);
        let said = faults(&import.faults);
        assert!(said[0].starts_with("第 3 行的角色应为以下之一"), "{}", said[0]);
        assert!(!said[0].contains("群众"), "a citizen is no staff user");
        assert_eq!(said[1], "第 4 行的用户名重复：与第 2 行相同");
    }

    #[test]
    fn a_file_is_refused_as_a_whole_for_its_header_and_its_size() {
        assert_eq!(faults(&users("").unwrap_err()), ["文件中没有列名行：第 1 行应为各列的名称，可下载模板"]);
        let said = faults(&users("用户名,姓名,部门\n").unwrap_err());
        assert_eq!(said, ["第 1 行的列名“部门”不认识，请按模板填写", "缺少一列：角色", "缺少一列：单位代码"]);
        assert_eq!(faults(&users("用户名,姓名,角色,单位代码\n").unwrap_err()), ["文件中只有列名，没有要导入的行"]);
        let many = format!("用户名,姓名,角色,单位代码\n{}", "a,b,c,d\n".repeat(MAX_ROWS + 1));
        assert_eq!(faults(&users(&many).unwrap_err()), ["文件有 501 行数据，一次最多导入 500 行，请分成几个文件"]);
    }

    #[test]
    fn the_template_is_a_header_row_the_reader_takes_back() {
        for kind in ImportKind::ALL {
            for lang in UiLang::ALL {
                let template = kind.template(T { lang });
                let faults = match kind {
                    ImportKind::Units => units(&template).unwrap_err(),
                    ImportKind::Users => users(&template).unwrap_err(),
                };
                assert_eq!(faults.len(), 1, "only: no lines ({lang:?}, {kind:?})");
                assert_eq!(faults[0].code, "invalid_file");
            }
        }
    }
}
