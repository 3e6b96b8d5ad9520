"""The twin's fixed network: the real file's airline and market counts, routes, airports and who flies what."""

from __future__ import annotations

import math

DEFAULT_ROWS = 10_683

REAL_AIRLINE_COUNTS: dict[str, int] = {
    "Jet Airways": 3849, "IndiGo": 2053, "Air India": 1752, "Multiple carriers": 1196, "SpiceJet": 818,
    "Vistara": 479, "Air Asia": 319, "GoAir": 194, "Multiple carriers Premium economy": 13,
    "Jet Airways Business": 6, "Vistara Premium economy": 3, "Trujet": 1,
}
REAL_MARKET_COUNTS: dict[tuple[str, str], int] = {
    ("Delhi", "Cochin"): 4537, ("Kolkata", "Banglore"): 2871, ("Banglore", "Delhi"): 1265,
    ("Banglore", "New Delhi"): 932, ("Mumbai", "Hyderabad"): 697, ("Chennai", "Kolkata"): 381,
}
MARKETS: list[tuple[str, str]] = list(REAL_MARKET_COUNTS)

# Routes per market as space-separated IATA codes, most used first within each number of stops.
# 30 + 38 + 1 + 36 + 23 + 1 routes; BLR DEL serves both Delhi labels, so 128 distinct routes in all.
MARKET_ROUTES: dict[tuple[str, str], list[str]] = {
    ("Delhi", "Cochin"): [
        "DEL COK",
        "DEL BOM COK", "DEL HYD COK", "DEL MAA COK", "DEL BLR COK", "DEL AMD COK", "DEL GOI COK",
        "DEL TRV COK", "DEL PNQ COK", "DEL CCU COK", "DEL IDR COK", "DEL LKO COK", "DEL JAI COK",
        "DEL JAI BOM COK", "DEL AMD BOM COK", "DEL IDR BOM COK", "DEL NAG BOM COK", "DEL LKO BOM COK",
        "DEL BHO BOM COK", "DEL UDR BOM COK", "DEL ATQ BOM COK", "DEL JDH BOM COK", "DEL IXU BOM COK",
        "DEL GOI BOM COK", "DEL HYD MAA COK", "DEL HYD BOM COK", "DEL BDQ BOM COK",
        "DEL RPR NAG BOM COK", "DEL GWL IDR BOM COK", "DEL LKO NAG BOM COK",
    ],
    ("Kolkata", "Banglore"): [
        "CCU BLR",
        "CCU BOM BLR", "CCU DEL BLR", "CCU HYD BLR", "CCU MAA BLR", "CCU GAU BLR", "CCU BBI BLR",
        "CCU IXR BLR", "CCU PNQ BLR", "CCU AMD BLR", "CCU NAG BLR", "CCU VTZ BLR", "CCU IXB BLR",
        "CCU PAT BLR", "CCU GOI BLR", "CCU JAI BLR", "CCU IXZ BLR",
        "CCU IXR DEL BLR", "CCU IXR BBI BLR", "CCU BBI HYD BLR", "CCU DEL AMD BLR", "CCU BOM AMD BLR",
        "CCU BBI MAA BLR", "CCU IXB DEL BLR", "CCU GAU DEL BLR", "CCU PAT DEL BLR", "CCU VNS DEL BLR",
        "CCU LKO DEL BLR", "CCU BOM GOI BLR", "CCU DEL COK BLR", "CCU JAI BOM BLR", "CCU BOM PNQ BLR",
        "CCU DEL HYD BLR", "CCU VTZ MAA BLR", "CCU IXZ MAA BLR",
        "CCU BBI IXR DEL BLR", "CCU IXR DEL BOM BLR", "CCU PAT LKO DEL BLR",
    ],
    ("Banglore", "Delhi"): ["BLR DEL"],
    ("Banglore", "New Delhi"): [
        "BLR DEL",
        "BLR BOM DEL", "BLR HYD DEL", "BLR MAA DEL", "BLR AMD DEL", "BLR GOI DEL", "BLR PNQ DEL",
        "BLR CCU DEL", "BLR COK DEL", "BLR TRV DEL", "BLR IDR DEL", "BLR NAG DEL", "BLR LKO DEL",
        "BLR JAI DEL", "BLR VGA DEL", "BLR STV DEL",
        "BLR BOM AMD DEL", "BLR BOM JDH DEL", "BLR BOM IDR DEL", "BLR BOM UDR DEL", "BLR BOM BHO DEL",
        "BLR BOM NAG DEL", "BLR MAA CCU DEL", "BLR HBX BOM DEL", "BLR BOM BDQ DEL", "BLR GOI BOM DEL",
        "BLR COK BOM DEL", "BLR TRV COK DEL", "BLR VGA HYD DEL", "BLR MAA HYD DEL", "BLR BOM IXC DEL",
        "BLR BOM JAI DEL",
        "BLR BOM IDR GWL DEL", "BLR CCU BBI IXR DEL", "BLR TRZ MAA HYD DEL",
        "BLR CCU BBI HYD VGA DEL",
    ],
    ("Mumbai", "Hyderabad"): [
        "BOM HYD",
        "BOM BLR HYD", "BOM DEL HYD", "BOM MAA HYD", "BOM GOI HYD", "BOM PNQ HYD", "BOM NAG HYD",
        "BOM AMD HYD", "BOM CCU HYD", "BOM COK HYD", "BOM IDR HYD", "BOM NDC HYD",
        "BOM GOI PNQ HYD", "BOM BHO DEL HYD", "BOM JDH DEL HYD", "BOM UDR DEL HYD", "BOM DED DEL HYD",
        "BOM VNS DEL HYD", "BOM RPR VTZ HYD", "BOM AMD DEL HYD", "BOM BLR MAA HYD",
        "BOM JDH JAI DEL HYD", "BOM IDR GWL DEL HYD",
    ],
    ("Chennai", "Kolkata"): ["MAA CCU"],
}
# Routes flown by one airline only (the real file's lone 4-stop flight is Air India's; Trujet flies via Nanded).
PINNED_ROUTES: dict[str, str] = {"BLR CCU BBI HYD VGA DEL": "Air India", "BOM NDC HYD": "Trujet"}
ONLY_PINNED_ROUTES = {"Trujet"}  # airlines that fly nothing but their pinned route

# Approximate airport positions (latitude, longitude) to give each flight leg a plausible block time.
AIRPORTS: dict[str, tuple[float, float]] = {
    "DEL": (28.56, 77.10), "COK": (10.15, 76.40), "BOM": (19.09, 72.87), "BLR": (13.20, 77.71),
    "CCU": (22.65, 88.45), "HYD": (17.24, 78.43), "MAA": (12.99, 80.17), "IXR": (23.31, 85.32),
    "BBI": (20.24, 85.82), "GOI": (15.38, 73.83), "AMD": (23.07, 72.63), "JAI": (26.82, 75.81),
    "TRV": (8.48, 76.92), "IDR": (22.72, 75.80), "NAG": (21.09, 79.05), "PNQ": (18.58, 73.92),
    "LKO": (26.76, 80.89), "GAU": (26.11, 91.59), "VGA": (16.53, 80.80), "IXB": (26.68, 88.33),
    "IXC": (30.67, 76.79), "ATQ": (31.71, 74.80), "BHO": (23.29, 77.34), "VNS": (25.45, 82.86),
    "PAT": (25.59, 85.09), "IXZ": (11.64, 92.73), "UDR": (24.62, 73.90), "IXU": (19.86, 75.40),
    "STV": (21.11, 72.74), "JDH": (26.25, 73.05), "VTZ": (17.72, 83.22), "HBX": (15.36, 75.08),
    "IXA": (23.89, 91.24), "BDQ": (22.34, 73.22), "RPR": (21.18, 81.74), "IXM": (9.83, 78.09),
    "KNU": (26.40, 80.41), "TRZ": (10.77, 78.71), "NDC": (19.18, 77.32), "JLR": (23.18, 80.05),
    "IXJ": (32.69, 74.84), "GWL": (26.29, 78.23), "DED": (30.19, 78.18),
}

# Which airlines fly which market, and how much (relative affinity; iterative proportional fitting then
# matches the airline and market shares). Columns follow MARKETS.
MARKET_AFFINITY: dict[str, tuple[float, ...]] = {
    #                                   DEL-COK KOL-BLR BLR-DEL BLR-NDL BOM-HYD MAA-KOL
    "Jet Airways":                      (1.00, 0.80, 0.55, 1.30, 0.90, 0.00),
    "IndiGo":                           (0.70, 1.00, 1.30, 0.90, 1.00, 1.30),
    "Air India":                        (1.00, 1.00, 0.45, 0.70, 1.00, 0.60),
    "Multiple carriers":                (1.00, 0.00, 0.00, 0.00, 0.00, 0.00),
    "SpiceJet":                         (0.50, 1.00, 1.40, 0.40, 1.30, 1.40),
    "Vistara":                          (0.60, 1.00, 1.40, 0.40, 0.00, 1.40),
    "Air Asia":                         (0.40, 1.00, 1.40, 0.60, 0.00, 0.00),
    "GoAir":                            (1.00, 0.80, 1.00, 1.00, 0.00, 0.00),
    "Multiple carriers Premium economy": (1.00, 0.00, 0.00, 0.00, 0.00, 0.00),
    "Jet Airways Business":             (1.00, 0.00, 0.00, 1.00, 0.00, 0.00),
    "Vistara Premium economy":          (0.00, 0.00, 1.00, 0.00, 0.00, 1.00),
    "Trujet":                           (0.00, 0.00, 0.00, 0.00, 1.00, 0.00),
}
DEFAULT_AFFINITY = (1.0,) * len(MARKETS)  # an airline the table does not know flies everywhere

# Share of each airline's flights by number of stops (4 stops only through PINNED_ROUTES).
STOP_PROFILES: dict[str, dict[int, float]] = {
    "Jet Airways": {0: 0.31, 1: 0.635, 2: 0.05, 3: 0.005},
    "IndiGo": {0: 0.60, 1: 0.37, 2: 0.03},
    "Air India": {0: 0.28, 1: 0.39, 2: 0.31, 3: 0.02},
    "Multiple carriers": {1: 0.88, 2: 0.12},
    "SpiceJet": {0: 0.75, 1: 0.24, 2: 0.01},
    "Vistara": {0: 0.62, 1: 0.38},
    "Air Asia": {0: 0.52, 1: 0.45, 2: 0.03},
    "GoAir": {0: 0.62, 1: 0.38},
    "Multiple carriers Premium economy": {1: 1.0},
    "Jet Airways Business": {1: 1.0},
    "Vistara Premium economy": {0: 1.0},
    "Trujet": {1: 1.0},
}
DEFAULT_STOP_PROFILE = {0: 0.5, 1: 0.45, 2: 0.05}
BUDGET_AIRLINES = ("IndiGo", "SpiceJet", "Air Asia", "GoAir", "Trujet")


def stop_profile(airline: str) -> dict[int, float]:
    """Share of `airline`'s flights by number of stops (a generic profile for an airline the table lacks)."""
    return STOP_PROFILES.get(airline, DEFAULT_STOP_PROFILE)


def leg_minutes(origin: str, destination: str) -> float:
    """Block time of one leg: 30 min on the ground plus ~750 km/h over the great-circle distance."""
    (lat1, lon1), (lat2, lon2) = AIRPORTS[origin], AIRPORTS[destination]
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    km = 2 * 6371 * math.asin(math.sqrt(a))
    return 30 + km / 12.5
