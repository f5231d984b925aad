//! The organisation: region codes and their levels, unit kinds, roles, and the data scope a
//! user's place in the organisation gives them.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::identity::is_province_code;

/// 行政区划代码 — a division code in the 12-digit statistical form (GB/T 2260 county code +
/// 3-digit township + 3-digit village/community, DOMAIN.md §3.1). A 6-digit GB/T 2260 code is
/// accepted and padded with zeros.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    #[error("a region code has 6 or 12 digits")]
    Format,
    #[error("the first two digits are not a province code")]
    Province,
}

impl RegionCodeError {
    pub fn message(self) -> crate::validation::Message {
        match self {
            RegionCodeError::Format => crate::msg!("region_code.format"),
            RegionCodeError::Province => crate::msg!("id_number.province"),
        }
    }
}

/// The level of a region, from its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    City,
    District,
    Street,
    Community,
}

impl RegionLevel {
    /// The code, as serialised (`district`): `level.district` in `i18n/codes.tsv`.
    pub fn as_str(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::District => "district",
            RegionLevel::Street => "street",
            RegionLevel::Community => "community",
        }
    }
}

impl RegionCode {
    pub fn parse(input: &str) -> Result<Self, RegionCodeError> {
        let code = input.trim();
        if !code.bytes().all(|b| b.is_ascii_digit()) || !matches!(code.len(), 6 | 12) {
            return Err(RegionCodeError::Format);
        }
        if !is_province_code(&code[..2]) {
            return Err(RegionCodeError::Province);
        }
        Ok(Self(format!("{code:0<12}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits that matter at this level: `62`, `6201`, `620102`, `620102002`, or all 12.
    pub fn significant(&self) -> &str {
        &self.0[..self.significant_len()]
    }

    fn significant_len(&self) -> usize {
        match self.level() {
            RegionLevel::Province => 2,
            RegionLevel::City => 4,
            RegionLevel::District => 6,
            RegionLevel::Street => 9,
            RegionLevel::Community => 12,
        }
    }

    pub fn level(&self) -> RegionLevel {
        let c = &self.0;
        if &c[9..] != "000" {
            RegionLevel::Community
        } else if &c[6..9] != "000" {
            RegionLevel::Street
        } else if &c[4..6] != "00" {
            RegionLevel::District
        } else if &c[2..4] != "00" {
            RegionLevel::City
        } else {
            RegionLevel::Province
        }
    }

    /// The code of the region one level up, or `None` for a province.
    pub fn parent(&self) -> Option<RegionCode> {
        let keep = match self.level() {
            RegionLevel::Province => return None,
            RegionLevel::City => 2,
            RegionLevel::District => 4,
            RegionLevel::Street => 6,
            RegionLevel::Community => 9,
        };
        Some(Self(format!("{:0<12}", &self.0[..keep])))
    }

    /// The GB/T 2260 county part (first six digits).
    pub fn county(&self) -> &str {
        &self.0[..6]
    }

    /// All codes in this region's subtree lie in `first..=last`, so that the subtree is one
    /// range scan over an index on the code.
    pub fn subtree_range(&self) -> (String, String) {
        let prefix = self.significant();
        (format!("{prefix:0<12}"), format!("{prefix:9<12}"))
    }

    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0.starts_with(self.significant())
    }

    /// The region one level below this one on the way down to `descendant`: `descendant`
    /// itself when it is this region, one level below it, or not beneath it at all.
    pub fn child_toward(&self, descendant: &RegionCode) -> RegionCode {
        let mut child = descendant.clone();
        while let Some(parent) = child.parent().filter(|parent| parent != self && self.contains(parent)) {
            child = parent;
        }
        child
    }
}

impl TryFrom<String> for RegionCode {
    type Error = RegionCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<RegionCode> for String {
    fn from(code: RegionCode) -> Self {
        code.0
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Defines a string-coded enum with its code list, `parse` and `as_str`, so that the codes
/// stored in the database, sent over JSON and matched in code are one list.
macro_rules! coded_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn parse(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }

            /// The accepted codes, for error messages.
            pub fn codes() -> String {
                [$($code),+].join(" | ")
            }
        }

        impl $crate::validation::Coded for $name {
            fn from_code(code: &str) -> Option<Self> {
                Self::parse(code)
            }
            fn code_list() -> String {
                Self::codes()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use coded_enum;

coded_enum! {
    /// A staff or citizen role (PRODUCT.md "Users and roles").
    Role {
        /// 群众/当事人 — a party to a dispute.
        Citizen = "citizen",
        /// 窗口受理员 — clerk at a centre's window.
        Intake = "intake",
        /// 指挥调度员 — command-centre staff.
        Dispatcher = "dispatcher",
        /// 承办人 — staff of a unit handling a case.
        Handler = "handler",
        /// 调解员 — mediator.
        Mediator = "mediator",
        /// 网格员 — grid worker.
        GridWorker = "grid_worker",
        /// 法院联络员 — court liaison.
        Court = "court",
        /// 领导 — head of a centre.
        Leader = "leader",
        /// 系统管理员 — administrator.
        Admin = "admin",
    }
}

coded_enum! {
    /// The kind of a unit (PRODUCT.md "The organisation model").
    UnitKind {
        /// 综治中心 — the governance centre of a level.
        Centre = "centre",
        /// 职能部门 — functional department (人社, 住建, 司法所, 妇联, 市场监管 …).
        Department = "department",
        /// 公安 — police bureau or station.
        Police = "police",
        /// 信访 — petition office.
        PetitionOffice = "petition_office",
        /// 人民法院 — court.
        Court = "court",
        /// 人民调解委员会 — people's mediation committee.
        MediationCommittee = "mediation_committee",
        /// 行业性专业性调解组织 — industry / professional mediation organisation.
        IndustryMediation = "industry_mediation",
        /// 品牌调解室 — named brand mediation room.
        BrandRoom = "brand_room",
        /// 网格工作站 — the station of a grid, where its grid workers belong.
        Grid = "grid",
    }
}

/// What a user may see (属地 + 条): the subtree of their unit's region, plus every case their
/// unit is assigned to wherever it lies. Built once from the user; the store applies it to
/// every case query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub region: RegionCode,
    pub unit_id: i64,
}

impl Scope {
    pub fn covers_region(&self, code: &RegionCode) -> bool {
        self.region.contains(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_child_toward_a_region_is_one_level_down() {
        let code = |c: &str| RegionCode::parse(c).unwrap();
        let city = code("620100");
        assert_eq!(city.child_toward(&code("620102001002")), code("620102"));
        assert_eq!(city.child_toward(&code("620102")), code("620102"));
        assert_eq!(city.child_toward(&city), city);
        assert_eq!(code("620102").child_toward(&code("620102001002")), code("620102001000"));
        assert_eq!(city.child_toward(&code("110101")), code("110101"));
    }

    #[test]
    fn levels_read_as_their_serialised_codes() {
        use RegionLevel::*;
        for level in [Province, City, District, Street, Community] {
            assert_eq!(serde_json::json!(level), level.as_str());
        }
    }

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn levels_and_parents() {
        assert_eq!(code("620000").level(), RegionLevel::Province);
        assert_eq!(code("620100").level(), RegionLevel::City);
        assert_eq!(code("620102").level(), RegionLevel::District);
        assert_eq!(code("620102002000").level(), RegionLevel::Street);
        assert_eq!(code("620102002003").level(), RegionLevel::Community);
        assert_eq!(code("620102002003").parent(), Some(code("620102002000")));
        assert_eq!(code("620102002000").parent(), Some(code("620102")));
        assert_eq!(code("620102").parent(), Some(code("620100")));
        assert_eq!(code("620100").parent(), Some(code("620000")));
        assert_eq!(code("620000").parent(), None);
    }

    #[test]
    fn subtree_is_a_range() {
        assert_eq!(code("620102").subtree_range(), ("620102000000".into(), "620102999999".into()));
        assert!(code("620102").contains(&code("620102002003")));
        assert!(!code("620102").contains(&code("620103001000")));
        assert!(code("620100").contains(&code("620103001000")));
    }

    #[test]
    fn bad_codes_are_refused() {
        assert_eq!(RegionCode::parse("62010"), Err(RegionCodeError::Format));
        assert_eq!(RegionCode::parse("6201020020ab"), Err(RegionCodeError::Format));
        assert_eq!(RegionCode::parse("990102"), Err(RegionCodeError::Province));
    }

    #[test]
    fn coded_enums_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        assert_eq!(Role::parse("king"), None);
        assert!(UnitKind::codes().contains("brand_room"));
    }
}
