//! Open311 GeoReport v2 (issue 18): the dispute categories as the services a standard client
//! reports to, and how a case's status reads there. The catalogue is Chinese, as the centre
//! publishes it.

use crate::case::{Category, Channel, Status};
use crate::org::UnitKind;

/// One service of the list: a category with its group, description and search words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    pub category: Category,
    /// 类别: the group a client may sort the list by.
    pub group: &'static str,
    pub description: &'static str,
    /// Comma separated, as the specification has them.
    pub keywords: &'static str,
}

const fn service(
    category: Category,
    group: &'static str,
    description: &'static str,
    keywords: &'static str,
) -> Service {
    Service { category, group, description, keywords }
}

/// Every category, in the order of the people's-mediation statistics.
pub const SERVICES: &[Service] = &[
    service(Category::MarriageFamily, "婚姻家庭", "婚姻、继承、赡养、抚养等家庭纠纷", "离婚,继承,赡养,抚养,彩礼"),
    service(Category::Neighbor, "邻里社区", "相邻关系、噪音、通行、采光等邻里纠纷", "邻居,噪音,漏水,通行,采光"),
    service(Category::LandHousing, "土地房屋", "房屋、宅基地的权属和使用纠纷", "宅基地,房屋,确权,翻建"),
    service(Category::ForestLand, "土地房屋", "山林、土地的承包和权属纠纷", "山林,承包地,流转,界址"),
    service(Category::Contract, "经济合同", "买卖、租赁、承揽、借用等合同纠纷", "合同,租赁,违约,定金"),
    service(Category::Business, "经济合同", "生产经营中的合伙、加工、供货等纠纷", "合伙,经营,货款,加工"),
    service(Category::Damages, "损害赔偿", "人身、财产损害的赔偿纠纷", "赔偿,受伤,损坏,医药费"),
    service(Category::Labor, "劳动用工", "劳动报酬、工伤、劳动合同等纠纷，含欠薪", "欠薪,工资,工伤,辞退,社保"),
    service(Category::Medical, "医疗卫生", "诊疗过程中的医患纠纷", "医疗,医院,手术,误诊"),
    service(Category::PropertyManagement, "邻里社区", "物业服务、物业费、公共设施等纠纷", "物业,物业费,停车,电梯"),
    service(Category::Traffic, "损害赔偿", "道路交通事故的赔偿纠纷", "交通事故,车祸,追尾,保险理赔"),
    service(Category::Demolition, "土地房屋", "征地、拆迁、补偿安置纠纷", "征地,拆迁,补偿,安置"),
    service(Category::VillageAffairs, "基层治理", "村务、集体经济和村民待遇纠纷", "村务,集体,分红,村委会"),
    service(Category::Environment, "基层治理", "噪声、废气、污水等环境污染纠纷", "污染,异味,污水,粉尘"),
    service(Category::Consumer, "消费金融", "商品、服务质量和退换货等消费纠纷", "消费,退款,质量,预付卡"),
    service(Category::Finance, "消费金融", "民间借贷、金融、保险纠纷", "借款,借贷,贷款,保险"),
    service(Category::RealEstate, "土地房屋", "商品房买卖、逾期交房和质量纠纷", "商品房,交房,开发商,房产证"),
    service(Category::Tourism, "消费金融", "旅游合同和旅游服务纠纷", "旅游,旅行社,导游,景区"),
    service(Category::IntellectualProperty, "经济合同", "商标、专利、著作权纠纷", "商标,专利,著作权,侵权"),
    service(Category::Ecommerce, "消费金融", "网购、平台和新业态用工等纠纷", "网购,平台,外卖,快递"),
    service(Category::Other, "其他", "以上类别以外的矛盾纠纷", "其他"),
];

/// The service of a code (a category code), if there is one.
pub fn service_of(code: &str) -> Option<&'static Service> {
    let category = Category::parse(code.trim())?;
    SERVICES.iter().find(|s| s.category == category)
}

/// `open` or `closed`: a request is closed once its case is concluded (or after), or rejected.
pub fn status_of(status: Status) -> &'static str {
    if is_closed(status) { "closed" } else { "open" }
}

/// Whether a case in this status is a closed request.
pub fn is_closed(status: Status) -> bool {
    matches!(status, Status::Rejected | Status::Concluded | Status::FollowedUp | Status::Archived)
}

/// The channel a report through Open311 arrives by: the kind of the sending system's unit (a
/// court, a police station, a petition office), else 网上 (an app or a website of the public).
pub fn channel_of(kind: Option<UnitKind>) -> Channel {
    match kind {
        Some(UnitKind::Court) => Channel::Court,
        Some(UnitKind::Police) => Channel::Police,
        Some(UnitKind::PetitionOffice) => Channel::Petition,
        _ => Channel::Online,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_is_a_service_once() {
        assert_eq!(SERVICES.len(), Category::ALL.len());
        for category in Category::ALL {
            assert_eq!(SERVICES.iter().filter(|s| s.category == *category).count(), 1, "{category}");
        }
        assert_eq!(service_of(" labor ").map(|s| s.category), Some(Category::Labor));
        assert!(service_of("pothole").is_none());
    }

    #[test]
    fn concluded_and_rejected_cases_are_closed_requests() {
        assert_eq!(status_of(Status::Registered), "open");
        assert_eq!(status_of(Status::InProgress), "open");
        assert_eq!(status_of(Status::Concluded), "closed");
        assert_eq!(status_of(Status::Rejected), "closed");
    }

    #[test]
    fn the_sending_unit_names_the_channel() {
        assert_eq!(channel_of(Some(UnitKind::Court)), Channel::Court);
        assert_eq!(channel_of(Some(UnitKind::Centre)), Channel::Online);
        assert_eq!(channel_of(None), Channel::Online);
    }
}
