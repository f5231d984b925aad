//! The data model of a People's Mediation agreement (人民调解协议书).
//!
//! Field contents follow art. 29 of the People's Mediation Law of the PRC (《中华人民共和国人民调解法》):
//! the parties' basic details, the main facts of the dispute, the matters in dispute and each side's
//! responsibility, the agreed terms, and how, where and when they are to be performed.

/// A People's Mediation agreement (人民调解协议书) ready to be rendered.
///
/// All strings are printed verbatim (never interpreted as markup), so they may safely contain client data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Agreement {
    /// Document title, e.g. "人民调解协议书".
    pub title: String,
    /// Document number (文号), e.g. "兰城调协〔2026〕第15号", or the case number.
    pub number: String,
    /// Name of the People's Mediation committee (人民调解委员会).
    pub committee: String,
    /// The parties (当事人), in the order they are printed.
    pub parties: Vec<Party>,
    /// Main facts of the dispute (纠纷主要事实). Line breaks start new paragraphs.
    pub facts: String,
    /// Matters in dispute (争议事项).
    pub matters: String,
    /// Each party's responsibility (各方责任).
    pub responsibilities: String,
    /// The agreed terms (协议内容), printed as a numbered list.
    pub terms: Vec<Term>,
    /// Manner, place and time limit of performance (履行方式、地点、期限).
    pub performance: String,
    /// Name of the people's mediator (人民调解员).
    pub mediator: String,
    /// Which copy this is, e.g. "申请人张三持" or "调解委员会存档"; printed in the page header.
    pub copy_label: String,
    /// The signature block (签名栏), one row per signer.
    pub signatures: Vec<Signature>,
    /// When set, an electronic committee seal (印章) with this name is drawn over the committee line.
    pub seal: Option<String>,
    /// Date the agreement takes effect (生效日期), printed as given.
    pub effective_at: Option<String>,
    /// Small print at the bottom of every page, e.g. the document hash or a verification note.
    pub footer: String,
}

/// A party (当事人) to the dispute.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    /// Role label: "申请人" (applicant), "被申请人" (respondent), "第三人" (third party), ….
    pub role: String,
    /// Full name of the person or organisation.
    pub name: String,
    /// Identity document number, printed exactly as given (mask it beforehand if required).
    pub id_number: String,
    /// Domicile or address (住址).
    pub address: String,
    /// Contact telephone (联系电话).
    pub phone: Option<String>,
}

/// One agreed term (协议条款).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Term {
    /// What was agreed.
    pub text: String,
    /// Optional time limit (履行期限), e.g. "2026年12月31日前".
    pub due: Option<String>,
}

/// One row of the signature block.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Signature {
    /// Who signs, e.g. "申请人：张三".
    pub label: String,
    /// When they signed, printed as given; a blank date line is printed when absent.
    pub signed_at: Option<String>,
    /// PNG of a handwritten signature. Invalid images are not drawn; the signer's name is printed instead.
    pub image: Option<Vec<u8>>,
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signature")
            .field("label", &self.label)
            .field("signed_at", &self.signed_at)
            .field("image", &self.image.as_ref().map(|png| format!("<{} bytes>", png.len())))
            .finish()
    }
}
