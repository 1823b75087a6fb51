"""Word pools for generated records: names and addresses in several scripts, product words."""

from __future__ import annotations

# (first_name, last_name): ASCII, German umlauts, French accents, Chinese, Japanese, emoji.
PEOPLE: tuple[tuple[str, str], ...] = (
    ("Anna", "Schmidt"), ("Jürgen", "Müller"), ("Zoë", "Bäcker"), ("Jörg", "Größer"),
    ("Léa", "Dubois"), ("François", "Lefèvre"), ("Maria", "García"), ("José", "Núñez"),
    ("伟", "王"), ("芳", "李"), ("陽翔", "佐藤"), ("Olivia", "Smith"), ("Liam", "O'Brien"),
    ("Noah", "Johnson"), ("Emma", "Brown"), ("Søren", "Kierkegård"), ("Ewa", "Łukasiewicz"),
    ("Ayşe", "Y\u0131lmaz"), ("Sam 🚀", "Rivera"), ("Chloé", "Martin 🌸"), ("Ólafur", "Þórsson"),
    ("Mia", "Weiß"), ("Lukas", "Schäfer"), ("Hannah", "Kowalski"),
)

# (city, province, province_code, zip, country, country_code, timezone-free phone prefix)
ADDRESSES: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("Berlin", "Berlin", "BE", "10115", "Germany", "DE", "+4930"),
    ("München", "Bayern", "BY", "80331", "Germany", "DE", "+4989"),
    ("Köln", "Nordrhein-Westfalen", "NW", "50667", "Germany", "DE", "+49221"),
    ("Paris", "Île-de-France", "IDF", "75001", "France", "FR", "+331"),
    ("Lyon", "Auvergne-Rhône-Alpes", "ARA", "69001", "France", "FR", "+334"),
    ("Wien", "Wien", "9", "1010", "Austria", "AT", "+431"),
    ("Zürich", "Zürich", "ZH", "8001", "Switzerland", "CH", "+4144"),
    ("上海", "上海市", "SH", "200000", "China", "CN", "+8621"),
    ("東京", "東京都", "JP-13", "100-0001", "Japan", "JP", "+813"),
    ("New York", "New York", "NY", "10001", "United States", "US", "+1212"),
    ("Toronto", "Ontario", "ON", "M5H 2N2", "Canada", "CA", "+1416"),
    ("London", "England", "ENG", "SW1A 1AA", "United Kingdom", "GB", "+4420"),
    ("Madrid", "Madrid", "M", "28001", "Spain", "ES", "+3491"),
)

STREETS: tuple[str, ...] = (
    "Hauptstraße", "Königsallee", "Rue de Rivoli", "Main Street", "南京东路", "Gran Vía",
    "Schloßplatz", "Baker Street", "Bahnhofstraße", "Avenue des Champs-Élysées",
)

COMPANIES: tuple[str | None, ...] = (
    None, None, None, "Müller & Söhne GmbH", "ACME Ltd", "株式会社テスト",
)

PRODUCT_NOUNS: tuple[str, ...] = (
    "T-Shirt", "Hoodie", "Mug", "Backpack", "Sneaker", "Cap", "Notebook", "Water Bottle",
    "Scarf", "Socks", "Jacket", "Tote Bag", "Poster", "Candle", "Teapot", "Kaffeebecher",
    "Schlüsselanhänger", "茶杯", "Sunglasses", "Umbrella",
)
PRODUCT_ADJECTIVES: tuple[str, ...] = (
    "Classic", "Organic", "Vintage", "Grüne", "Premium", "Everyday", "Lightweight", "Cozy",
    "Café", "Limited ✨", "Nordic", "Urban",
)
VENDORS: tuple[str, ...] = ("Acme", "Nordlicht", "Maison Dupont", "Fuji Goods", "Bergmann")
PRODUCT_TYPES: tuple[str, ...] = ("Apparel", "Accessories", "Home", "Stationery", "Footwear")
OPTION_SETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Size", ("S", "M", "L", "XL")),
    ("Color", ("Black", "White", "Rot", "Blau")),
    ("Material", ("Cotton", "Wool", "Linen", "Bamboo")),
)
TAGS: tuple[str, ...] = ("vip", "wholesale", "gift", "newsletter", "b2b", "repeat", "sale")
LOCATIONS: tuple[str, ...] = ("Lager Berlin", "Warehouse Rotterdam", "Shop München", "Depot Wien")
DISCOUNT_CODES: tuple[tuple[str, int], ...] = (
    ("WELCOME10", 1000), ("SUMMER15", 1500), ("VIP20", 2000), ("BLACKFRIDAY25", 2500),
)
# (label, rate in basis points)
TAX_RATES: tuple[tuple[str, int], ...] = (
    ("MwSt", 1900), ("VAT", 2000), ("TVA", 2000), ("MwSt ermäßigt", 700), ("Sales Tax", 887),
)
NOTES: tuple[str | None, ...] = (
    None, None, None, "Bitte klingeln 🔔", "Leave at the door", "请放在门口", "Gift — no invoice",
)
