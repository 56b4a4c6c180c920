//! The fictional retailer's world: where it trades, what it sells, who delivers.
//!
//! UTC offsets are each state's standard offset; daylight saving is not modelled (documented in
//! docs/decisions.md), which keeps every local timestamp a fixed, checkable offset from UTC.

/// A state or region.
pub struct State {
    /// Its code.
    pub code: &'static str,
    /// Its fixed UTC offset (no DST), minutes.
    pub offset_min: i32,
    /// Centre latitude.
    pub lat: f64,
    /// Centre longitude.
    pub lon: f64,
    /// Its cities.
    pub cities: &'static [&'static str],
    /// Postcode range (inclusive) for numeric postcodes; (0, 0) for the UK's alphanumeric ones.
    pub postcodes: (u32, u32),
    /// Sales tax / GST as a fraction ×10^4.
    pub tax_bp: i64,
}

/// A country the retailer sells in.
pub struct Country {
    /// ISO code.
    pub code: &'static str,
    /// Sales region.
    pub region: &'static str,
    /// Currency code.
    pub currency: &'static str,
    /// Phone prefix.
    pub phone_prefix: &'static str,
    /// Share of stores and customers, in percent.
    pub weight: u32,
    /// Its states.
    pub states: &'static [State],
    /// Carriers delivering there.
    pub carriers: &'static [Carrier],
}

/// A carrier and its service level.
pub struct Carrier {
    /// Name.
    pub name: &'static str,
    /// Promised delivery, in days after dispatch.
    pub sla_days: i64,
    /// Base cost in cents.
    pub base_cost_cents: i64,
}

const fn st(
    code: &'static str,
    offset_min: i32,
    lat: f64,
    lon: f64,
    cities: &'static [&'static str],
    postcodes: (u32, u32),
    tax_bp: i64,
) -> State {
    State { code, offset_min, lat, lon, cities, postcodes, tax_bp }
}

/// The countries.
pub const COUNTRIES: [Country; 4] = [
    Country {
        code: "AU",
        region: "ANZ",
        currency: "AUD",
        phone_prefix: "+61 4",
        weight: 70,
        states: &[
            st("NSW", 600, -33.87, 151.21, &["Sydney", "Newcastle", "Wollongong", "Parramatta"], (2000, 2599), 1000),
            st("VIC", 600, -37.81, 144.96, &["Melbourne", "Geelong", "Ballarat", "Bendigo"], (3000, 3999), 1000),
            st("QLD", 600, -27.47, 153.03, &["Brisbane", "Gold Coast", "Cairns", "Townsville"], (4000, 4999), 1000),
            st("WA", 480, -31.95, 115.86, &["Perth", "Fremantle", "Bunbury"], (6000, 6797), 1000),
            st("SA", 570, -34.93, 138.60, &["Adelaide", "Mount Gambier"], (5000, 5799), 1000),
            st("TAS", 600, -42.88, 147.33, &["Hobart", "Launceston"], (7000, 7799), 1000),
            st("ACT", 600, -35.28, 149.13, &["Canberra"], (2600, 2618), 1000),
            st("NT", 570, -12.46, 130.84, &["Darwin", "Alice Springs"], (800, 899), 1000),
        ],
        carriers: &[
            Carrier { name: "AusPost", sla_days: 5, base_cost_cents: 895 },
            Carrier { name: "StarTrack", sla_days: 3, base_cost_cents: 1295 },
        ],
    },
    Country {
        code: "NZ",
        region: "ANZ",
        currency: "NZD",
        phone_prefix: "+64 21",
        weight: 10,
        states: &[
            st("AUK", 720, -36.85, 174.76, &["Auckland", "Manukau"], (600, 2699), 1500),
            st("WGN", 720, -41.29, 174.78, &["Wellington", "Lower Hutt"], (5010, 6972), 1500),
            st("CAN", 720, -43.53, 172.64, &["Christchurch", "Timaru"], (7300, 8999), 1500),
        ],
        carriers: &[Carrier { name: "NZ Post", sla_days: 4, base_cost_cents: 795 }],
    },
    Country {
        code: "US",
        region: "Americas",
        currency: "USD",
        phone_prefix: "+1 555",
        weight: 10,
        states: &[
            st("CA", -480, 34.05, -118.24, &["Los Angeles", "San Francisco", "San Diego"], (90001, 96162), 725),
            st("NY", -300, 40.71, -74.01, &["New York", "Buffalo"], (10001, 14925), 400),
            st("TX", -360, 29.76, -95.37, &["Houston", "Austin", "Dallas"], (75001, 79999), 625),
            st("WA", -480, 47.61, -122.33, &["Seattle", "Spokane"], (98001, 99403), 650),
            st("IL", -360, 41.88, -87.63, &["Chicago", "Springfield"], (60001, 62999), 625),
        ],
        carriers: &[
            Carrier { name: "UPS", sla_days: 4, base_cost_cents: 999 },
            Carrier { name: "FedEx", sla_days: 3, base_cost_cents: 1199 },
        ],
    },
    Country {
        code: "GB",
        region: "EMEA",
        currency: "GBP",
        phone_prefix: "+44 7700",
        weight: 10,
        states: &[
            st("ENG", 0, 51.51, -0.13, &["London", "Manchester", "Birmingham", "Leeds"], (0, 0), 2000),
            st("SCT", 0, 55.95, -3.19, &["Edinburgh", "Glasgow"], (0, 0), 2000),
            st("WLS", 0, 51.48, -3.18, &["Cardiff", "Swansea"], (0, 0), 2000),
        ],
        carriers: &[
            Carrier { name: "Royal Mail", sla_days: 3, base_cost_cents: 499 },
            Carrier { name: "DHL", sla_days: 4, base_cost_cents: 899 },
        ],
    },
];

/// Picks a country index by weight from a uniform draw in [0, 100).
pub fn country_for(draw: u32) -> usize {
    let mut acc = 0;
    for (i, c) in COUNTRIES.iter().enumerate() {
        acc += c.weight;
        if draw < acc {
            return i;
        }
    }
    0
}

/// Currencies of the exchange-rate table with their rough level against AUD.
pub const CURRENCIES: [(&str, f64); 5] = [("AUD", 1.0), ("USD", 1.52), ("GBP", 1.93), ("NZD", 0.91), ("EUR", 1.64)];

/// A product category.
pub struct Category {
    /// Name.
    pub name: &'static str,
    /// Its subcategories.
    pub subcategories: &'static [&'static str],
    /// Median price in AUD and log-normal spread.
    pub median_price: f64,
    /// Spread of log prices.
    pub sigma: f64,
    /// Nouns for product names.
    pub nouns: &'static [&'static str],
}

/// The categories.
pub const CATEGORIES: [Category; 8] = [
    Category {
        name: "Electronics",
        subcategories: &["Phones", "Laptops", "Audio", "Accessories"],
        median_price: 149.0,
        sigma: 0.9,
        nouns: &["Headphones", "Charger", "Speaker", "Tablet", "Cable", "Smartwatch", "Keyboard", "Mouse"],
    },
    Category {
        name: "Home",
        subcategories: &["Kitchen", "Furniture", "Decor", "Bedding"],
        median_price: 59.0,
        sigma: 0.8,
        nouns: &["Mug", "Lamp", "Cushion", "Pan", "Chair", "Vase", "Towel", "Blanket"],
    },
    Category {
        name: "Apparel",
        subcategories: &["Women", "Men", "Kids", "Footwear"],
        median_price: 45.0,
        sigma: 0.6,
        nouns: &["T-Shirt", "Jacket", "Jeans", "Sneakers", "Dress", "Hoodie", "Socks", "Cap"],
    },
    Category {
        name: "Grocery",
        subcategories: &["Fresh", "Pantry", "Frozen", "Beverages"],
        median_price: 6.5,
        sigma: 0.6,
        nouns: &["Coffee", "Pasta", "Olive Oil", "Yoghurt", "Ice Cream", "Juice", "Cheese", "Granola"],
    },
    Category {
        name: "Beauty",
        subcategories: &["Skincare", "Haircare", "Fragrance"],
        median_price: 29.0,
        sigma: 0.6,
        nouns: &["Serum", "Shampoo", "Moisturiser", "Perfume", "Lip Balm", "Cleanser"],
    },
    Category {
        name: "Sports",
        subcategories: &["Fitness", "Outdoor", "Cycling"],
        median_price: 69.0,
        sigma: 0.8,
        nouns: &["Yoga Mat", "Dumbbell", "Tent", "Bottle", "Helmet", "Backpack"],
    },
    Category {
        name: "Toys",
        subcategories: &["Games", "Building", "Plush"],
        median_price: 35.0,
        sigma: 0.7,
        nouns: &["Puzzle", "Blocks", "Teddy", "Board Game", "Robot Kit"],
    },
    Category {
        name: "Garden",
        subcategories: &["Plants", "Tools", "Outdoor Living"],
        median_price: 39.0,
        sigma: 0.7,
        nouns: &["Planter", "Hose", "Trowel", "Seeds", "Lantern"],
    },
];

/// Adjectives for product names.
pub const ADJECTIVES: [&str; 16] = [
    "Classic",
    "Eco",
    "Pro",
    "Ultra",
    "Everyday",
    "Premium",
    "Compact",
    "Deluxe",
    "Organic",
    "Smart",
    "Vintage",
    "Urban",
    "Coastal",
    "Nordic",
    "Essential",
    "Bold",
];

/// Brands for product names.
pub const BRANDS: [&str; 12] = [
    "Acme",
    "Koala & Co",
    "Southern Cross",
    "Bluegum",
    "Harbour",
    "Outback",
    "Wattle",
    "Kestrel",
    "Larrikin",
    "Banksia",
    "Coral",
    "Ironbark",
];

/// Payment methods online, weighted.
pub const PAYMENT_WEB: [(&str, u32); 4] = [("card", 60), ("paypal", 20), ("afterpay", 12), ("apple_pay", 8)];
/// Payment methods in store, weighted.
pub const PAYMENT_POS: [(&str, u32); 4] = [("card", 55), ("cash", 20), ("apple_pay", 15), ("gift_card", 10)];

/// Coupon codes.
pub const COUPONS: [&str; 6] = ["WELCOME10", "SAVE15", "VIP20", "SPRING5", "FREESHIP", "EOFY25"];

/// Return reasons: (words, code).
pub const RETURN_REASONS: [(&str, &str); 7] = [
    ("damaged", "DMG"),
    ("wrong_item", "WRG"),
    ("not_as_described", "NAD"),
    ("changed_mind", "CHM"),
    ("too_small", "SZS"),
    ("too_large", "SZL"),
    ("arrived_late", "LTE"),
];

/// Picks from a weighted list with a draw in [0, total weight).
pub fn weighted<T: Copy>(items: &[(T, u32)], draw: u32) -> T {
    let mut acc = 0;
    for &(item, w) in items {
        acc += w;
        if draw < acc {
            return item;
        }
    }
    items[items.len() - 1].0
}
