//! 历史案件导入 — a centre's historical cases from an Excel workbook: the workbook's limits,
//! its columns, and each row read into a concluded (or still open) case, every fault named by
//! its row and column in words (`line[6].applicant_id_number` reads "第 7 行的申请人身份证号").
//!
//! The workbook is read into cells at the edge (the application layer, with calamine); here the
//! cells are only checked. The header row names the columns by the template's words, their
//! usual synonyms (案件类别, 纠纷简要情况, 所属区域(代码)), in any language of the catalogue or
//! by their codes, in any order. Codes are written as codes or as their labels (婚姻家庭, 窗口,
//! 调解成功); dates as Excel dates, as serial numbers or as text (2023-05-01, 2023/5/1,
//! 2023年5月1日, 2023.5.1). Rows that are blank are skipped; a row is counted as Excel shows it.

use chrono::{Days, NaiveDate};

use crate::case::{Category, Channel, NewParty, Outcome, PartyKind, PartyRole, parse_id_number};
use crate::contact::Phone;
use crate::i18n::{T, UiLang};
use crate::import::line_field;
use crate::msg;
use crate::org::RegionCode;
use crate::validation::{Arg, FieldError, Message};

/// The largest workbook accepted, in bytes.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// The most rows of data one workbook may hold (the header row not counted).
pub const MAX_ROWS: usize = 5000;
/// The longest description of a dispute, in characters.
const DESCRIPTION_MAX: usize = 5000;
/// The longest name, in characters.
const NAME_MAX: usize = 100;

/// A column of a workbook: the field, whether every row must fill it, and the other words a
/// header may use for it.
pub type Column = (&'static str, bool, &'static [&'static str]);

/// The columns, in the template's order.
pub const COLUMNS: [Column; 11] = [
    ("registered_on", true, &["登记时间", "受理日期"]),
    ("category", true, &["案件类别", "纠纷类别", "案件类型"]),
    ("channel", true, &["来源", "案件来源"]),
    ("region_code", true, &["所属区域(代码)", "所属区域（代码）", "所属区域", "区域代码"]),
    ("applicant_name", true, &["申请人"]),
    ("applicant_id_number", false, &["申请人身份证号码", "申请人证件号码"]),
    ("applicant_phone", false, &["申请人联系电话", "申请人手机"]),
    ("respondent_name", false, &["被申请人"]),
    ("description", true, &["纠纷简要情况", "简要情况", "案情"]),
    ("outcome", false, &["结果"]),
    ("concluded_on", false, &["办结时间", "结案日期"]),
];

/// A cell as the workbook holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum SheetCell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
}

impl SheetCell {
    /// The cell as a person reads it (a date as `2023-05-01`, a whole number without `.0`).
    pub fn shown(&self) -> String {
        match self {
            SheetCell::Empty => String::new(),
            SheetCell::Text(text) => text.trim().to_owned(),
            SheetCell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            SheetCell::Number(n) => n.to_string(),
            SheetCell::Date(date) => date.format("%Y-%m-%d").to_string(),
        }
    }
}

/// A row of the workbook as written: its number as Excel shows it and its cells in the
/// columns' order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: usize,
    pub cells: Vec<String>,
}

/// A historical case to create.
#[derive(Debug, Clone)]
pub struct HistoricalCase {
    pub line: usize,
    pub registered_on: NaiveDate,
    pub category: Category,
    pub channel: Channel,
    pub region_code: RegionCode,
    pub applicant: NewParty,
    pub respondent: Option<NewParty>,
    pub description: String,
    /// With `concluded_on`: the case was concluded; without, it is still open.
    pub outcome: Option<Outcome>,
    pub concluded_on: Option<NaiveDate>,
}

impl HistoricalCase {
    /// The parties: the applicant, then the respondent when named.
    pub fn parties(&self) -> Vec<NewParty> {
        std::iter::once(self.applicant.clone()).chain(self.respondent.clone()).collect()
    }
}

/// A workbook read: every row as written, what the faultless rows create, and every fault.
#[derive(Debug, Clone)]
pub struct CaseImport {
    pub rows: Vec<Row>,
    pub cases: Vec<HistoricalCase>,
    pub faults: Vec<FieldError>,
}

/// A template's header row in `t`'s language.
pub fn template_header(t: T, columns: &[Column]) -> Vec<String> {
    columns.iter().map(|(field, _, _)| t.field(field)).collect()
}

/// Checks a sheet's rows (the first non-blank one its header); `Err` with the faults of the
/// workbook as a whole. `today` bounds the dates (the domain never reads the clock).
pub fn read(sheet: &[Vec<SheetCell>], today: NaiveDate) -> Result<CaseImport, Vec<FieldError>> {
    let mut faults = Vec::new();
    let mut rows = Vec::new();
    let mut cases = Vec::new();
    for (line, placed) in sheet_rows(sheet, &COLUMNS)? {
        let mut check = RowCheck { line, cells: &placed, faults: &mut faults, faulted: false };
        if let Some(case) = check.case(today) {
            cases.push(case);
        }
        rows.push(Row { line, cells: placed.iter().map(SheetCell::shown).collect() });
    }
    Ok(CaseImport { rows, cases, faults })
}

/// The rows of data of a sheet whose first non-blank row is its header naming `columns` (in
/// any order, by their words in any language, their synonyms or their codes): each row's
/// number as Excel shows it and its cells in the columns' order; blank rows skipped. `Err`
/// with the faults of the sheet as a whole (a column unknown, repeated or missing, no rows,
/// more than [`MAX_ROWS`]).
pub fn sheet_rows(
    sheet: &[Vec<SheetCell>],
    columns: &[Column],
) -> Result<Vec<(usize, Vec<SheetCell>)>, Vec<FieldError>> {
    let file_fault = |message: Message| vec![FieldError::new("file", "invalid_file", message)];
    let blank = |row: &[SheetCell]| row.iter().all(|c| c.shown().is_empty());
    let Some(header_at) = sheet.iter().position(|row| !blank(row)) else {
        return Err(file_fault(msg!("import.no_header")));
    };
    let mut faults = Vec::new();
    let mut position: Vec<Option<usize>> = Vec::new();
    for cell in &sheet[header_at] {
        let name = cell.shown();
        let found = columns.iter().position(|(field, _, aliases)| names_column(&name, field, aliases));
        if found.is_none() && !name.is_empty() {
            faults.push(FieldError::new("file", "unknown_column", msg!("import.unknown_column", name = name.clone())));
        }
        if found.is_some() && position.contains(&found) {
            faults.push(FieldError::new("file", "repeated_column", msg!("case_import.repeated_column", name = name)));
        }
        position.push(found);
    }
    for (index, (field, required, _)) in columns.iter().enumerate() {
        if *required && !position.contains(&Some(index)) {
            let fault = msg!("import.missing_column", column = Arg::field(*field));
            faults.push(FieldError::new("file", "missing_column", fault));
        }
    }
    if !faults.is_empty() {
        return Err(faults);
    }
    let data: Vec<(usize, &Vec<SheetCell>)> =
        sheet.iter().enumerate().skip(header_at + 1).filter(|(_, row)| !blank(row)).map(|(i, r)| (i + 1, r)).collect();
    if data.is_empty() {
        return Err(file_fault(msg!("import.no_rows")));
    }
    if data.len() > MAX_ROWS {
        return Err(file_fault(msg!("import.too_many_rows", rows = data.len(), max = MAX_ROWS)));
    }
    Ok(data
        .into_iter()
        .map(|(line, cells)| {
            let mut placed = vec![SheetCell::Empty; columns.len()];
            for (i, cell) in cells.iter().enumerate() {
                if let Some(column) = position.get(i).copied().flatten() {
                    placed[column] = cell.clone();
                }
            }
            (line, placed)
        })
        .collect())
}

/// A code of `all` written as its code or as its label (`kind` of the catalogue's codes) in
/// any language; else the fault of `field` naming the labels.
pub fn coded<C: Copy>(
    field: String,
    value: &str,
    kind: &'static str,
    all: &[C],
    code: fn(C) -> &'static str,
) -> Result<C, FieldError> {
    let found = all.iter().copied().find(|c| {
        let c = code(*c);
        value.eq_ignore_ascii_case(c)
            || UiLang::ALL.iter().any(|&lang| T { lang }.code(kind, c).eq_ignore_ascii_case(value))
    });
    found.ok_or_else(|| {
        let labels = all.iter().map(|c| msg!("import.label", label = Arg::code(kind, code(*c)))).collect();
        FieldError::new(field, "invalid_code", msg!("import.not_one_of", labels = Arg::List(labels)))
    })
}

/// Whether a header cell names the column `field`: its code, its words in any language, or one
/// of its synonyms.
fn names_column(name: &str, field: &str, aliases: &[&str]) -> bool {
    let name = name.trim().trim_end_matches('*').trim();
    name.eq_ignore_ascii_case(field)
        || aliases.contains(&name)
        || UiLang::ALL.iter().any(|&lang| T { lang }.field(field).eq_ignore_ascii_case(name))
}

/// One row's cells as they are checked, its faults recorded as they are found.
struct RowCheck<'a> {
    line: usize,
    cells: &'a [SheetCell],
    faults: &'a mut Vec<FieldError>,
    faulted: bool,
}

impl RowCheck<'_> {
    fn case(&mut self, today: NaiveDate) -> Option<HistoricalCase> {
        let registered_on = self.date("registered_on", true, today);
        let category = self.coded("category", "category", Category::ALL, Category::as_str);
        let channel = self.coded("channel", "channel", Channel::ALL, Channel::as_str);
        let region_code = self.required("region_code").and_then(|code| match RegionCode::parse(&code) {
            Ok(region) => Some(region),
            Err(e) => {
                let reason = msg!("region_code.invalid", reason = e.message());
                self.fault(FieldError::new(self.field("region_code"), "invalid_region", reason));
                None
            }
        });
        let applicant_name = self.required("applicant_name").and_then(|n| self.longest("applicant_name", n, NAME_MAX));
        let id_number = self.optional("applicant_id_number").and_then(|id| {
            let parsed = parse_id_number(&self.field("applicant_id_number"), &id, today);
            parsed.map_err(|fault| self.fault(fault)).ok()
        });
        let phone = self.optional("applicant_phone").and_then(|phone| match Phone::parse(&phone) {
            Ok(phone) => Some(phone),
            Err(_) => {
                self.fault(FieldError::new(
                    self.field("applicant_phone"),
                    "invalid_phone",
                    msg!("party.phone_invalid"),
                ));
                None
            }
        });
        let respondent_name =
            self.optional("respondent_name").and_then(|n| self.longest("respondent_name", n, NAME_MAX));
        let description = self.required("description").and_then(|d| self.longest("description", d, DESCRIPTION_MAX));
        let outcome = match self.optional("outcome") {
            Some(_) => self.coded("outcome", "outcome", Outcome::ALL, Outcome::as_str),
            None => None,
        };
        let concluded_on = self.date("concluded_on", false, today);
        let outcome_given = self.optional("outcome").is_some();
        if outcome_given && self.optional("concluded_on").is_none() {
            self.fault(FieldError::new(
                self.field("concluded_on"),
                "required",
                msg!("case_import.concluded_on_needed"),
            ));
        }
        if !outcome_given && self.optional("concluded_on").is_some() {
            self.fault(FieldError::new(self.field("outcome"), "required", msg!("case_import.outcome_needed")));
        }
        if let (Some(registered), Some(concluded)) = (registered_on, concluded_on)
            && concluded < registered
        {
            let fault = msg!("case_import.concluded_before_registered", registered = registered.to_string());
            self.fault(FieldError::new(self.field("concluded_on"), "out_of_order", fault));
        }
        let person = |role, name: String, id_number, phone| NewParty {
            role,
            kind: PartyKind::Person,
            name,
            id_number,
            credit_code: None,
            phone,
            address: None,
        };
        if self.faulted {
            return None;
        }
        Some(HistoricalCase {
            line: self.line,
            registered_on: registered_on?,
            category: category?,
            channel: channel?,
            region_code: region_code?,
            applicant: person(PartyRole::Applicant, applicant_name?, id_number, phone),
            respondent: respondent_name.map(|name| person(PartyRole::Respondent, name, None, None)),
            description: description?,
            outcome,
            concluded_on,
        })
    }

    fn fault(&mut self, error: FieldError) {
        self.faults.push(error);
        self.faulted = true;
    }

    fn field(&self, field: &str) -> String {
        line_field(self.line, field)
    }

    fn cell(&self, field: &str) -> &SheetCell {
        let index = COLUMNS.iter().position(|(f, _, _)| *f == field).unwrap_or(0);
        &self.cells[index]
    }

    fn optional(&self, field: &str) -> Option<String> {
        Some(self.cell(field).shown()).filter(|v| !v.is_empty())
    }

    fn required(&mut self, field: &str) -> Option<String> {
        let value = self.optional(field);
        if value.is_none() {
            self.fault(FieldError::required(self.field(field)));
        }
        value
    }

    fn longest(&mut self, field: &str, value: String, max: usize) -> Option<String> {
        if value.chars().count() > max {
            self.fault(FieldError::new(self.field(field), "too_long", msg!("case_import.too_long", max = max)));
            return None;
        }
        Some(value)
    }

    /// A code of `all`, written as its code or as its label (`kind` of the catalogue's codes)
    /// in any language.
    fn coded<C: Copy>(&mut self, field: &str, kind: &'static str, all: &[C], code: fn(C) -> &'static str) -> Option<C> {
        let value = self.required(field)?;
        coded(self.field(field), &value, kind, all, code).map_err(|fault| self.fault(fault)).ok()
    }

    /// A date no later than `today`: an Excel date, a serial number, or text.
    fn date(&mut self, field: &str, required: bool, today: NaiveDate) -> Option<NaiveDate> {
        let date = match self.cell(field).clone() {
            SheetCell::Empty => {
                if required {
                    self.fault(FieldError::required(self.field(field)));
                }
                return None;
            }
            SheetCell::Date(date) => Some(date),
            SheetCell::Number(serial) => excel_serial(serial),
            SheetCell::Text(text) => date_text(&text),
        };
        let Some(date) = date else {
            self.fault(FieldError::new(self.field(field), "invalid_date", msg!("case_import.date_invalid")));
            return None;
        };
        if date > today {
            self.fault(FieldError::new(self.field(field), "in_future", msg!("case_import.date_in_future")));
            return None;
        }
        Some(date)
    }
}

/// The date of an Excel serial number (days since 1899-12-30, as Excel counts them).
pub fn excel_serial(serial: f64) -> Option<NaiveDate> {
    if !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(Days::new(serial.trunc() as u64))
}

/// A date written as text: `2023-05-01`, `2023/5/1`, `2023.5.1`, `2023年5月1日`, `20230501`,
/// with or without a time after it.
fn date_text(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let day = text.split([' ', 'T']).next().unwrap_or(text);
    if day.len() == 8 && day.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(day, "%Y%m%d").ok();
    }
    let parts: Vec<&str> = day.split(['-', '/', '.', '年', '月', '日']).filter(|p| !p.is_empty()).collect();
    let [year, month, day] = parts.as_slice() else { return None };
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?).filter(|_| year.len() == 4)
}

/// What a workbook's cases add up to, for the preview before the import: how many were
/// concluded and how many are still open, by category (in `Category::ALL`'s order) and by the
/// year they were registered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub concluded: usize,
    pub open: usize,
    pub by_category: Vec<(Category, usize)>,
    pub by_year: Vec<(i32, usize)>,
}

/// The tally of `cases`.
pub fn tally(cases: &[HistoricalCase]) -> Tally {
    use chrono::Datelike;
    let concluded = cases.iter().filter(|c| c.concluded_on.is_some()).count();
    let by_category = Category::ALL
        .iter()
        .map(|&category| (category, cases.iter().filter(|c| c.category == category).count()))
        .filter(|(_, n)| *n > 0)
        .collect();
    let mut years = std::collections::BTreeMap::new();
    for case in cases {
        *years.entry(case.registered_on.year()).or_insert(0) += 1;
    }
    Tally { concluded, open: cases.len() - concluded, by_category, by_year: years.into_iter().collect() }
}

/// The row numbers faults name, each once, in order.
pub fn faulted_rows(faults: &[FieldError]) -> Vec<usize> {
    let mut rows: Vec<usize> = faults.iter().filter_map(|f| crate::import::fault_line(&f.field)).collect();
    rows.sort_unstable();
    rows.dedup();
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> SheetCell {
        SheetCell::Text(s.to_owned())
    }

    fn said(errors: &[FieldError]) -> Vec<String> {
        errors.iter().map(|e| T::default().msg(&e.message())).collect()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
    }

    fn header() -> Vec<SheetCell> {
        [
            "登记日期",
            "案件类别",
            "来源渠道",
            "所属区域(代码)",
            "申请人姓名",
            "申请人身份证号",
            "申请人电话",
            "被申请人姓名",
            "纠纷简要情况",
            "办理结果",
            "办结日期",
        ]
        .into_iter()
        .map(text)
        .collect()
    }

    fn good() -> Vec<SheetCell> {
        vec![
            SheetCell::Date(NaiveDate::from_ymd_opt(2021, 3, 4).unwrap()),
            text("婚姻家庭"),
            text("窗口"),
            SheetCell::Number(620102003000.0),
            text("张三"),
            text("11010519491231002x"),
            text("139 1234 5678"),
            text("李四"),
            text("离婚后子女抚养费纠纷"),
            text("调解成功"),
            text("2021年3月20日"),
        ]
    }

    #[test]
    fn a_good_row_reads_labels_excel_dates_text_dates_and_numbers() {
        let import = read(&[header(), good()], today()).unwrap();
        assert!(import.faults.is_empty(), "{:?}", said(&import.faults));
        let case = &import.cases[0];
        assert_eq!(case.line, 2);
        assert_eq!(case.category, Category::MarriageFamily);
        assert_eq!(case.channel, Channel::Window);
        assert_eq!(case.region_code.as_str(), "620102003000");
        assert_eq!(case.applicant.id_number.as_ref().unwrap().as_str(), "11010519491231002X");
        assert_eq!(case.outcome, Some(Outcome::Resolved));
        assert_eq!(case.concluded_on, NaiveDate::from_ymd_opt(2021, 3, 20));
        assert_eq!(case.parties().len(), 2);
        assert_eq!(import.rows[0].cells[0], "2021-03-04");
    }

    #[test]
    fn english_headers_codes_and_serial_dates_are_taken() {
        let header: Vec<SheetCell> =
            ["registered_on", "Category", "channel", "region_code", "applicant_name", "description"].map(text).to_vec();
        let row = vec![
            SheetCell::Number(44197.0),
            text("neighbor"),
            text("hotline"),
            text("620102"),
            text("王五"),
            text("噪音"),
        ];
        let import = read(&[header, row], today()).unwrap();
        assert!(import.faults.is_empty(), "{:?}", said(&import.faults));
        assert_eq!(import.cases[0].registered_on, NaiveDate::from_ymd_opt(2021, 1, 1).unwrap());
        assert_eq!(import.cases[0].outcome, None);
    }

    #[test]
    fn every_fault_names_its_row_and_column_in_words() {
        let mut bad_id = good();
        bad_id[5] = text("110105194912310021");
        let mut bad_many = good();
        bad_many[0] = text("2099-01-01");
        bad_many[1] = text("吵架");
        bad_many[10] = text("2021/2/30");
        let mut early = good();
        early[10] = text("2021.3.1");
        let blank = vec![SheetCell::Empty; 11];
        let import = read(&[header(), bad_id, blank, good(), bad_many, early], today()).unwrap();
        assert_eq!(import.cases.len(), 1);
        let said = said(&import.faults);
        assert!(said[0].starts_with("第 2 行的申请人身份证号"), "{}", said[0]);
        assert!(said[1].starts_with("第 5 行的登记日期"), "{}", said[1]);
        assert!(said[2].starts_with("第 5 行的纠纷类型应为以下之一：婚姻家庭"), "{}", said[2]);
        assert!(said[3].starts_with("第 5 行的办结日期"), "{}", said[3]);
        assert!(said[4].starts_with("第 6 行的办结日期"), "{}", said[4]);
        assert_eq!(faulted_rows(&import.faults), [2, 5, 6]);
        assert!(import.faults.iter().all(|f| !f.field.contains("rows[")));
    }

    #[test]
    fn the_tally_counts_by_status_category_and_year() {
        let mut open = good();
        open[0] = text("2020-02-03");
        open[9] = SheetCell::Empty;
        open[10] = SheetCell::Empty;
        let import = read(&[header(), good(), open, good()], today()).unwrap();
        let tally = tally(&import.cases);
        assert_eq!((tally.concluded, tally.open), (2, 1));
        assert_eq!(tally.by_category, [(import.cases[0].category, 3)]);
        assert_eq!(tally.by_year, [(2020, 1), (2021, 2)]);
    }

    #[test]
    fn an_outcome_and_its_date_come_together() {
        let mut no_date = good();
        no_date[10] = SheetCell::Empty;
        let mut no_outcome = good();
        no_outcome[9] = SheetCell::Empty;
        let import = read(&[header(), no_date, no_outcome], today()).unwrap();
        assert_eq!(said(&import.faults).len(), 2);
        assert_eq!(faulted_rows(&import.faults), [2, 3]);
    }

    #[test]
    fn a_workbook_is_refused_as_a_whole_for_its_header_and_its_size() {
        assert_eq!(read(&[], today()).unwrap_err()[0].code, "invalid_file");
        let faults = read(&[vec![text("登记日期"), text("部门")]], today()).unwrap_err();
        assert!(said(&faults)[0].contains("部门"));
        assert_eq!(read(&[header()], today()).unwrap_err()[0].code, "invalid_file");
        let many: Vec<Vec<SheetCell>> =
            std::iter::once(header()).chain(std::iter::repeat_n(good(), MAX_ROWS + 1)).collect();
        assert!(said(&read(&many, today()).unwrap_err())[0].contains("5000"));
    }

    #[test]
    fn the_template_header_is_read_back_in_every_language() {
        for lang in UiLang::ALL {
            let header: Vec<SheetCell> =
                template_header(T { lang }, &COLUMNS).into_iter().map(SheetCell::Text).collect();
            let faults = read(&[header], today()).unwrap_err();
            assert_eq!(faults.len(), 1, "only: no rows ({lang:?}) {:?}", said(&faults));
        }
    }
}
