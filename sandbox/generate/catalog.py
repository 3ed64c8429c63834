"""Fixed names the generators draw from: the demo's products, services, facilities, customers; sources."""

from __future__ import annotations

from sandbox.company import FinaleFacilityRec

DEMO_COMPANY_NAME = "Acme Outdoor Goods"
DEMO_REALM_ID = "9341453050298211"
DEMO_ACCOUNT_PATH = "acmeoutdoor"
DEMO_API_KEY = "sandbox-acmeoutdoor-key"
DEMO_API_SECRET = "sandbox-acmeoutdoor-secret"


DEMO_PRODUCTS: tuple[tuple[str, str, str | None], ...] = (
    ("TENT-2P-GRN", "Ridgeline 2P Tent - Green", "139.80"),
    ("TENT-4P-GRN", "Basecamp 4P Tent - Green", "231.15"),
    ("SLBG-20F-REG", "Summit 20°F Sleeping Bag - Regular", "88.10"),
    ("SLBG-20F-LNG", "Summit 20°F Sleeping Bag - Long", "93.45"),
    ("SLBG-40F-REG", "Breeze 40°F Sleeping Bag", "52.30"),
    ("PAD-INFL-R", "Inflatable Sleeping Pad - Regular", "41.75"),
    ("PAD-FOAM-R", "Closed-Cell Foam Pad", "14.20"),
    ("HDLMP-300", "Headlamp 300 lm", "17.60"),
    ("HDLMP-500", "Headlamp 500 lm Rechargeable", "26.95"),
    ("STOVE-CMP-1B", "Compact Stove - 1 Burner", "53.80"),
    ("STOVE-CMP-2B", "Camp Stove - 2 Burner", "87.25"),
    ("FUEL-8OZ", "Isobutane Fuel 8 oz", "4.10"),
    ("FUEL-16OZ", "Isobutane Fuel 16 oz", "6.35"),
    ("WFLT-PRO", "Water Filter Pro", "37.90"),
    ("WFLT-MINI", "Water Filter Mini", "15.45"),
    ("BTL-1L-BLU", "Insulated Bottle 1 L - Blue", "9.80"),
    ("BTL-1L-GRY", "Insulated Bottle 1 L - Grey", "9.80"),
    ("TMX-ORIG-12", 'Trail Mix "Original" – 12 oz', "3.92"),
    ("TMX-CHOC-12", "Trail Mix Chocolate – 12 oz", "4.18"),
    ("BAR-PNUT-12PK", "Peanut Energy Bar 12-pack", "11.40"),
    ("MEAL-CHILI-2S", "Freeze-Dried Chili (2 servings)", "5.65"),
    ("MEAL-PASTA-2S", "Freeze-Dried Pasta Primavera (2 servings)", "5.90"),
    ("COFFEE-INST-8", "Instant Coffee 8-pack", "3.35"),
    ("MUG-KIDS-12OZ", "Kids' Café Mug ☕ 12 oz", "6.05"),
    ("MUG-ENAM-16OZ", "Enamel Mug 16 oz", "4.70"),
    ("PACK-45L-BLU", "Trailhead 45 L Pack - Blue", "117.40"),
    ("PACK-45L-BLK", "Trailhead 45 L Pack - Black", "117.40"),
    ("PACK-65L-BLK", "Expedition 65 L Pack - Black", "164.85"),
    ("DAYPK-22L-RED", "Daypack 22 L - Red", "31.20"),
    ("TPOLE-ALU", "Trekking Poles - Aluminium (pair)", "29.10"),
    ("TPOLE-CRB", "Trekking Poles - Carbon (pair)", "58.75"),
    ("CHAIR-CAMP-LT", "Ultralight Camp Chair", "44.05"),
    ("TABLE-ROLL-SM", "Roll Table - Small", "36.90"),
    ("JKT-RAIN-S", "Rain Shell Jacket S", "60.85"),
    ("JKT-RAIN-M", "Rain Shell Jacket M", "61.02"),
    ("JKT-RAIN-L", "Rain Shell Jacket L", "61.40"),
    ("DRYBAG-10L", "Dry Bag 10 L", "8.35"),
    ("DRYBAG-20L", "Dry Bag 20 L", "10.95"),
    ("HAT-SUN-OS", "Sun Hat - One Size", "9.15"),
    ("BEANIE-WOOL", "Merino Beanie", "7.80"),
    ("SOCK-WOOL-M", "Merino Hiking Socks M", "6.40"),
    ("SOCK-WOOL-L", "Merino Hiking Socks L", "6.40"),
    ("KNIFE-FOLD-3", 'Folding Knife 3"', "12.75"),
    ("MULTI-TOOL-12", "Multi-Tool 12-in-1", "22.30"),
    ("FAK-TRAIL", "Trail First Aid Kit", "13.60"),
    ("FAK-FAMILY", "Family First Aid Kit", "27.85"),
    ("COMPASS-BASE", "Baseplate Compass", "8.90"),
    ("CORD-550-50", "Paracord 550 - 50 ft", "3.15"),
    ("CARAB-LOCK", "Locking Carabiner", "0"),  # average cost 0: a finding
    ("HAMMOCK-SGL", "Hammock - Single", "21.40"),
    ("HAMMOCK-DBL", "Hammock - Double", "28.60"),  # new product, cost set after D: a finding
    ("LANT-LED-400", "LED Lantern 400 lm", "18.25"),
    ("CLR-45QT", "Hard Cooler 45 qt", "78.60"),
    ("GLOVE-FLC-M", "Fleece Gloves M", "5.95"),
    ("GAITER-TRL", "Trail Gaiters", None),  # never set, though the item cost field is: a finding
    ("TARP-10X10", "Tarp 10x10 ft", "24.70"),  # cost set after D: a finding
    ("BEAR-CAN-BV", "Bear Canister", None),  # never set: a finding
    ("SUNSCR-SPF50", "Sunscreen SPF 50 - 3 oz", "2.85"),
    ("BUGSPR-4OZ", "Insect Repellent 4 oz", "3.10"),
)
# Discontinued products: inactive, so neither a missing cost nor stock may be reported.
DEMO_INACTIVE_PRODUCTS: tuple[tuple[str, str, str | None], ...] = (
    ("TENT-2P-ORG", "Ridgeline 2P Tent - Orange (discontinued)", "139.80"),
    ("JKT-DOWN-M", "Down Jacket M (discontinued)", "72.15"),
    ("MAP-CASE", "Waterproof Map Case", "4.40"),
    ("GPS-HND-X", "Handheld GPS X", "118.00"),
    ("STOVE-OLD-1", "Classic Stove (old model)", None),
)

# QBO Inventory items that are Finale products: (name, sku, Finale productId, matched on, qty, cost, account).
DEMO_MATCHED: tuple[tuple[str, str | None, str, str, int, str, str], ...] = (
    ("TENT-2P-GRN", None, "TENT-2P-GRN", "name", 18, "142.75", "inventory_asset"),
    ("SLBG-20F-REG", "SLBG-20F-REG", "SLBG-20F-REG", "name", 24, "89.40", "inventory_asset"),
    ("Headlamp 300 lm", "HDLMP-300", "HDLMP-300", "sku", 65, "17.85", "inventory_asset"),
    ('Trail Mix "Original" – 12 oz', "TMX-ORIG-12", "TMX-ORIG-12", "sku", 240, "3.85", "inventory_asset_2"),
    ("Kids' Café Mug ☕", " mug-kids-12oz", "MUG-KIDS-12OZ", "sku", 96, "6.12", "inventory_asset_2"),
    ("stove-cmp-1b ", None, "STOVE-CMP-1B", "name", 31, "54.99", "inventory_asset"),
    ("Water Filter Pro", "WFLT-PRO", "WFLT-PRO", "sku", 42, "38.50", "inventory_asset"),
    ("PACK-45L-BLU", None, "PACK-45L-BLU", "name", 15, "118.25", "inventory_asset_2"),
    ("Trekking Poles (pair)", "TPOLE-ALU", "TPOLE-ALU", "sku", 0, "29.95", "inventory_asset"),
    ("CHAIR-CAMP-LT", "CHAIR-CAMP-LT", "CHAIR-CAMP-LT", "name", 27, "44.60", "inventory_asset_2"),
    ("Rain Shell Jacket M", "JKT-RAIN-M", "JKT-RAIN-M", "sku", 33, "61.37", "inventory_asset"),
    (" Dry Bag 20L", "drybag-20l", "DRYBAG-20L", "sku", 58, "11.08", "inventory_asset_2"),
)

DEMO_SERVICES: tuple[str, ...] = (
    "Shipping",
    "Expedited Shipping",
    "Gift Wrapping",
    "gift  wrapping ",  # the same name but for case and whitespace
    "Assembly",
    "Tent Seam Sealing",
    "Repair - Zipper",
    "Repair - Pole Splint",
    "Rental - 2P Tent (per night)",
    "Rental - Kayak (per day)",
    "Guided Hike (half day)",
    "Guided Hike (full day)",
    "Wilderness First Aid Class",
    "Navigation Workshop",
    "Gear Cleaning",
    "Restocking Fee",
    "Custom Embroidery",
    "Consulting",
    "Installation",
    "Late Fee",
)
DEMO_NON_INVENTORY: tuple[str, ...] = (
    "Gift Card $25",
    "Gift Card $50",
    "Gift Card $100",
    "Catalog Printing",
    "Shipping Boxes (bundle)",
    "Packing Tape",
    "Store Supplies",
    "Event Booth Fee",
    "Sample - Trade Show",
    "Clearance Bin Misc",
    "Donation - Trail Fund",
    "Membership - Acme Club",
    "Sticker Pack",
    "Patch - Acme Logo",
    "Map - Local Trails (print)",
    "Bandana - Promo",
    "HAT-SUN-OS",  # a Finale productId on a NonInventory item
    "Warranty - 1 year",
)

FACILITIES = (
    FinaleFacilityRec("100000", "Shelf A", "Main warehouse"),
    FinaleFacilityRec("100001", "Shelf B", "Main warehouse"),
    FinaleFacilityRec("100002", "Bulk Storage", "Overflow warehouse"),
)

# Sale sources with (orders every day, chance of one more) for the demo.
DEMO_DAILY_ORDERS: tuple[tuple[str | None, int, float], ...] = (
    ("Shopify", 3, 0.6),
    ("Amazon", 1, 0.5),
    ("Phone", 1, 0.3),
    ("Wholesale", 0, 0.3),
    (None, 0, 0.2),
)
DEMO_CUSTOMERS = (
    "Jordan Reyes",
    "Priya Natarajan",
    "Sam O'Connor",
    "Mei Lin",
    "Élodie Martin",
    "Chris Walker",
    "Aiyana Begay",
    "Tomás Ortega",
)
WHOLESALE_CUSTOMERS = ("Trailhead Outfitters", "Summit Supply Co.", "Riverbend Sports", "Northwoods Co-op")


LARGE_NAMES = tuple(
    f"{kind} {color}"
    for kind in (
        "Tent",
        "Sleeping Bag",
        "Pad",
        "Headlamp",
        "Stove",
        "Bottle",
        "Pack",
        "Jacket",
        "Sock",
        "Mug",
    )
    for color in ("Green", "Blue", "Black", "Red", "Grey")
)
LARGE_SOURCES: tuple[tuple[float, str | None], ...] = (
    (0.60, "Shopify"),
    (0.85, "Amazon"),
    (0.92, "Phone"),
    (0.97, "Wholesale"),
    (1.01, None),
)
