#!/usr/bin/env python3
"""Generates the Upstox Market Data Feed V3 conformance frames in tests/vectors/upstox-v3/.

Why: the feed decoder (src/broker/upstox/feed_frame.rs) is tested against frames encoded by the broker's own
compiled schema, not by our prost declaration of it, so a field ours misnumbers or mistypes shows up as a failing
case instead of as the same mistake on both sides. The schema is the one shipped in Upstox's official Python SDK
(upstox-python-sdk, `upstox_client.feeder.proto.MarketDataFeedV3_pb2`); the frames are built and read back with it.

What: for every case NAME (the cases are defined below, in the protobuf JSON mapping)
  NAME.bin         the frame's bytes: the case parsed into the SDK's FeedResponse and serialized by the SDK
  NAME.json        the frame as the SDK hands it to a user (json_format.MessageToDict of the decoded NAME.bin)
  NAME.ticks.json  the normalized price view, computed here from the SDK's decoding of NAME.bin, independently
                   of any Rust code
and README.md: what the files are and which SDK version wrote them.
Cases 01-08 are fixed frames written out below; 09 is built procedurally from a fixed seed. The output depends
only on this file and the SDK: running it twice writes identical files.

How: python3 tests/vectors/generate_upstox_v3.py   (needs `pip install upstox-python-sdk`; .ci/run installs it)
Re-run it after an SDK schema change, then run `cargo test --test integration upstox_feed`.
With --check it writes nothing: it generates into a temporary folder and exits 1 if the committed files differ
(CI runs it so, which catches a hand-edited frame and an SDK whose schema moved on).
"""

import filecmp
import importlib.metadata
import json
import random
import sys
import tempfile
from pathlib import Path

from google.protobuf import json_format
from google.protobuf.message import Message
from upstox_client.feeder.proto import MarketDataFeedV3_pb2 as feed_pb

OUT_DIR = Path(__file__).resolve().parent / "upstox-v3"
# How messages name it: from the repository's root, as a person types it.
SHOWN = "tests/vectors/upstox-v3"
SDK = "upstox-python-sdk"

# Cases 01-08, each a FeedResponse in the protobuf JSON mapping (camelCase names, int64 as strings, enums as
# names). Fields are in schema order; map entries (`feeds`, `segmentStatus`) are deliberately not sorted, as in
# the broker's frames, and `encode` keeps the order listed here on the wire.
CASES = {
    "01_market_info": {
        "type": "market_info",
        "currentTs": "1763696698311",
        "marketInfo": {
            "segmentStatus": {
                "NCD_FO": "NORMAL_CLOSE",
                "NSE_EQ": "NORMAL_OPEN",
                "MCX_FO": "PRE_OPEN_START",
                "NSE_INDEX": "NORMAL_OPEN",
                "NSE_FO": "NORMAL_OPEN",
                "BSE_EQ": "NORMAL_OPEN",
            },
        },
    },
    "02_initial_ltpc": {
        "feeds": {
            "BSE_EQ|INE009A01021": {"ltpc": {"ltp": 1476.3, "ltt": "1763696700019", "ltq": "25", "cp": 1501.15}},
            "NSE_EQ|INE848E01016": {"ltpc": {"ltp": 51.53, "ltt": "1763696700035", "ltq": "75", "cp": 52.07}},
            "NSE_EQ|INE118H01025": {"ltpc": {"ltp": 2789.9, "ltt": "1763696700029", "ltq": "5", "cp": 2744.9}},
            "NSE_EQ|INE002A01018": {"ltpc": {"ltp": 1570.85, "ltt": "1763696700165", "ltq": "25", "cp": 1543.2}},
            "NSE_EQ|INE040A01034": {"ltpc": {"ltp": 1954.15, "ltt": "1763696700274", "ltq": "75", "cp": 1986.4}},
            "NSE_EQ|INE467B01029": {"ltpc": {"ltp": 3350.9, "ltt": "1763696700333", "ltq": "1200", "cp": 3412.55}},
        },
        "currentTs": "1763696700402",
    },
    "03_live_ltpc": {
        "type": "live_feed",
        "feeds": {
            "NSE_EQ|INE002A01018": {"ltpc": {"ltp": 1516.0, "ltt": "1763701022434", "ltq": "75", "cp": 1543.2}},
            "NSE_EQ|INE040A01034": {"ltpc": {"ltp": 1993.0, "ltt": "1763701022642", "ltq": "1", "cp": 1986.4}},
            "NSE_EQ|INE467B01029": {"ltpc": {"ltp": 3473.65, "ltt": "1763701022126", "ltq": "150", "cp": 3412.55}},
        },
        "currentTs": "1763701023017",
    },
    "04_initial_full_equity": {
        "feeds": {
            "NSE_EQ|INE118H01025": {
                "fullFeed": {
                    "marketFF": {
                        "ltpc": {"ltp": 2712.6, "ltt": "1763703164633", "ltq": "150", "cp": 2744.9},
                        "marketLevel": {
                            "bidAskQuote": [
                                {"bidQ": "4356", "bidP": 2712.55, "askQ": "3503", "askP": 2712.65},
                                {"bidQ": "2574", "bidP": 2712.5, "askQ": "3815", "askP": 2712.7},
                                {"bidQ": "4797", "bidP": 2712.45, "askQ": "3713", "askP": 2712.75},
                                {"bidQ": "2963", "bidP": 2712.4, "askQ": "2456", "askP": 2712.8},
                                {"bidQ": "2036", "bidP": 2712.35, "askQ": "1473", "askP": 2712.85},
                            ],
                        },
                        "optionGreeks": {},
                        "marketOHLC": {
                            "ohlc": [
                                {
                                    "interval": "1d",
                                    "open": 2766.75,
                                    "high": 2799.95,
                                    "low": 2741.85,
                                    "close": 2716.8,
                                    "vol": "5047344",
                                    "ts": "1763663400000",
                                },
                                {
                                    "interval": "I1",
                                    "open": 2747.65,
                                    "high": 2750.4,
                                    "low": 2744.9,
                                    "close": 2786.1,
                                    "vol": "58929",
                                    "ts": "1763703060000",
                                },
                            ],
                        },
                        "atp": 2721.6,
                        "vtt": "1238106",
                        "tbq": 124800.0,
                        "tsq": 537800.0,
                    },
                },
                "requestMode": "full_d5",
            },
            "NSE_EQ|INE002A01018": {
                "fullFeed": {
                    "marketFF": {
                        "ltpc": {"ltp": 1548.5, "ltt": "1763703164590", "ltq": "1", "cp": 1543.2},
                        "marketLevel": {
                            "bidAskQuote": [
                                {"bidQ": "1812", "bidP": 1548.45, "askQ": "382", "askP": 1548.55},
                                {"bidQ": "4561", "bidP": 1548.4, "askQ": "1091", "askP": 1548.6},
                                {"bidQ": "2373", "bidP": 1548.35, "askQ": "3434", "askP": 1548.65},
                                {"bidQ": "1182", "bidP": 1548.3, "askQ": "4430", "askP": 1548.7},
                                {"bidQ": "965", "bidP": 1548.25, "askQ": "4677", "askP": 1548.75},
                            ],
                        },
                        "optionGreeks": {},
                        "marketOHLC": {
                            "ohlc": [
                                {
                                    "interval": "1d",
                                    "open": 1531.4,
                                    "high": 1549.78,
                                    "low": 1517.62,
                                    "close": 1562.7,
                                    "vol": "3042085",
                                    "ts": "1763663400000",
                                },
                                {
                                    "interval": "I1",
                                    "open": 1518.7,
                                    "high": 1520.22,
                                    "low": 1517.18,
                                    "close": 1547.6,
                                    "vol": "24724",
                                    "ts": "1763703060000",
                                },
                            ],
                        },
                        "atp": 1535.3,
                        "vtt": "1063424",
                        "tbq": 592783.0,
                        "tsq": 63496.0,
                    },
                },
                "requestMode": "full_d5",
            },
        },
        "currentTs": "1763703164905",
    },
    "05_live_full_index": {
        "type": "live_feed",
        "feeds": {
            "NSE_INDEX|Nifty 50": {
                "fullFeed": {
                    "indexFF": {
                        "ltpc": {"ltp": 26119.5, "ltt": "1763712606000", "cp": 26205.3},
                        "marketOHLC": {
                            "ohlc": [
                                {
                                    "interval": "1d",
                                    "open": 26474.85,
                                    "high": 26792.55,
                                    "low": 26236.58,
                                    "close": 25840.5,
                                    "ts": "1763663400000",
                                },
                                {
                                    "interval": "I1",
                                    "open": 26193.75,
                                    "high": 26219.94,
                                    "low": 26167.56,
                                    "close": 25722.3,
                                    "ts": "1763712540000",
                                },
                            ],
                        },
                    },
                },
                "requestMode": "full_d5",
            },
            "NSE_INDEX|Nifty Bank": {
                "fullFeed": {
                    "indexFF": {
                        "ltpc": {"ltp": 59269.6, "ltt": "1763712606000", "cp": 58873.45},
                        "marketOHLC": {
                            "ohlc": [
                                {
                                    "interval": "1d",
                                    "open": 59496.5,
                                    "high": 60210.46,
                                    "low": 58961.03,
                                    "close": 59045.4,
                                    "ts": "1763663400000",
                                },
                                {
                                    "interval": "I1",
                                    "open": 59757.7,
                                    "high": 59817.46,
                                    "low": 59697.94,
                                    "close": 58434.85,
                                    "ts": "1763712540000",
                                },
                            ],
                        },
                    },
                },
                "requestMode": "full_d5",
            },
            "BSE_INDEX|SENSEX": {
                "fullFeed": {
                    "indexFF": {
                        "ltpc": {"ltp": 85897.75, "ltt": "1763712606000", "cp": 85231.92},
                        "marketOHLC": {
                            "ohlc": [
                                {
                                    "interval": "1d",
                                    "open": 85553.65,
                                    "high": 86580.29,
                                    "low": 84783.67,
                                    "close": 85504.3,
                                    "ts": "1763663400000",
                                },
                                {
                                    "interval": "I1",
                                    "open": 85082.6,
                                    "high": 85167.68,
                                    "low": 84997.52,
                                    "close": 86390.95,
                                    "ts": "1763712540000",
                                },
                            ],
                        },
                    },
                },
                "requestMode": "full_d5",
            },
        },
        "currentTs": "1763712606000",
    },
    "06_live_option_greeks": {
        "type": "live_feed",
        "feeds": {
            "NSE_FO|51834": {
                "firstLevelWithGreeks": {
                    "ltpc": {"ltp": 298.55, "ltt": "1763714798000", "ltq": "150", "cp": 303.9},
                    "firstDepth": {"bidQ": "75", "bidP": 298.5, "askQ": "150", "askP": 298.6},
                    "optionGreeks": {
                        "delta": 0.5202,
                        "theta": -10.7668,
                        "gamma": 0.0014,
                        "vega": 12.3347,
                        "rho": 1.8859,
                    },
                    "vtt": "650293",
                    "oi": 7477611.0,
                    "iv": 0.1334,
                },
                "requestMode": "option_greeks",
            },
            "NSE_FO|45450": {
                "firstLevelWithGreeks": {
                    "ltpc": {"ltp": 223.2, "ltt": "1763714798000", "ltq": "25", "cp": 219.3},
                    "firstDepth": {"bidQ": "75", "bidP": 223.15, "askQ": "150", "askP": 223.25},
                    "optionGreeks": {
                        "delta": 0.5202,
                        "theta": -10.7668,
                        "gamma": 0.0014,
                        "vega": 12.3347,
                        "rho": 1.8859,
                    },
                    "vtt": "1462803",
                    "oi": 1091518.0,
                    "iv": 0.1334,
                },
                "requestMode": "option_greeks",
            },
        },
        "currentTs": "1763714798120",
    },
    "07_live_full_closing_auction": {
        "type": "live_feed",
        "feeds": {
            "NSE_EQ|INE040A01034": {
                "fullFeed": {
                    "marketFF": {
                        "ltpc": {"ltp": 1969.3, "ltt": "1763718669000", "ltq": "25", "cp": 1986.4, "iep": 1991.35},
                        "marketLevel": {
                            "bidAskQuote": [
                                {"bidQ": "2843", "bidP": 1969.25, "askQ": "185", "askP": 1969.35},
                                {"bidQ": "3783", "bidP": 1969.2, "askQ": "2912", "askP": 1969.4},
                                {"bidQ": "1377", "bidP": 1969.15, "askQ": "960", "askP": 1969.45},
                                {"bidQ": "4045", "bidP": 1969.1, "askQ": "483", "askP": 1969.5},
                                {"bidQ": "1788", "bidP": 1969.05, "askQ": "2355", "askP": 1969.55},
                            ],
                        },
                        "optionGreeks": {},
                        "marketOHLC": {
                            "ohlc": [
                                {
                                    "interval": "1d",
                                    "open": 1956.95,
                                    "high": 1980.43,
                                    "low": 1939.34,
                                    "close": 1966.35,
                                    "vol": "6569047",
                                    "ts": "1763663400000",
                                },
                                {
                                    "interval": "I1",
                                    "open": 2019.5,
                                    "high": 2021.52,
                                    "low": 2017.48,
                                    "close": 1986.1,
                                    "vol": "21905",
                                    "ts": "1763718600000",
                                },
                            ],
                        },
                        "atp": 1982.35,
                        "vtt": "4671367",
                        "tbq": 144577.0,
                        "tsq": 860077.0,
                        "iep": 1991.35,
                        "rp": 1986.4,
                        "ieq": "120455",
                        "iiqTotal": "-35210",
                        "iiqM": "-1200",
                        "casEligible": True,
                    },
                },
                "requestMode": "full_d5",
            },
        },
        "currentTs": "1763718669500",
    },
    "08_empty": {"currentTs": "1763706600001"},
}

# What each case is for, in README.md.
CASE_NOTES = {
    "01_market_info": "first frame of every connection: segment status, no feeds",
    "02_initial_ltpc": "snapshot after a `sub`; `type` is absent on the wire because `initial_feed` = 0",
    "03_live_ltpc": "live ticks in `ltpc` mode",
    "04_initial_full_equity": "5-level depth, 1d and I1 candles, empty option greeks",
    "05_live_full_index": "indexFF: no depth, no volume, no ltq",
    "06_live_option_greeks": "firstLevelWithGreeks",
    "07_live_full_closing_auction": "the September 2026 schema additions: `LTPC.iep` as a "
    "`google.protobuf.DoubleValue` wrapper, `iep`/`rp`/`ieq`, a negative `iiqTotal` and `iiqM`, `casEligible`",
    "08_empty": "only `currentTs`",
    "09_live_full_many": "250 instruments in full mode, built from a fixed seed: a size and speed case",
}

# Case 09's parameters. The seed fixes every random draw, so the frame is the same on every run.
MANY_SEED = 9
MANY_COUNT = 250
MANY_CURRENT_TS = 1763699400000  # 21 Nov 2025 10:00 IST
DAY_START_TS = 1763663400000  # the day candle's ts: 00:00 IST that day
TICK = 5  # NSE's price step for these instruments, in paise


def rupees(paise):
    """A price in paise as the double the broker sends: the nearest double to the decimal, so it prints back
    as that decimal (10145 -> 101.45). Prices are kept in integer paise because float arithmetic on rupees
    gives doubles that print as 1915.4499999999998, which no broker sends."""
    return paise / 100


def many_instruments_case():
    """Case 09: a live full-mode (`full_d5`) frame for MANY_COUNT NSE equities with 5-level depth, day and
    minute candles, ATP, volume and total bid/ask quantities, in a shuffled (hash-like) wire order."""
    rng = random.Random(MANY_SEED)
    feeds = []
    for i in range(MANY_COUNT):
        cp = 10_000 + 735 * i  # previous close, 100.00 up to 1930.15 rupees
        ltp = cp + TICK * rng.randint(-cp // 250, cp // 250)  # within 2% of the close
        day_open = cp + TICK * rng.randint(-cp // 500, cp // 500)
        day_high = max(day_open, ltp) + TICK * rng.randint(0, 20)
        day_low = min(day_open, ltp) - TICK * rng.randint(0, 20)
        minute_open = ltp + TICK * rng.randint(-4, 4)
        vtt = rng.randint(10_000, 9_000_000)
        depth = [
            {
                "bidQ": str(rng.randint(1, 5000)),
                "bidP": rupees(ltp - TICK * level),
                "askQ": str(rng.randint(1, 5000)),
                "askP": rupees(ltp + TICK * level),
            }
            for level in range(1, 6)
        ]
        candles = [
            candle("1d", day_open, day_high, day_low, ltp, vtt, DAY_START_TS),
            candle(
                "I1",
                minute_open,
                max(minute_open, ltp) + TICK * rng.randint(0, 3),
                min(minute_open, ltp) - TICK * rng.randint(0, 3),
                ltp,
                rng.randint(1_000, 90_000),
                MANY_CURRENT_TS - 60_000,
            ),
        ]
        market_ff = {
            "ltpc": {
                "ltp": rupees(ltp),
                "ltt": str(MANY_CURRENT_TS - rng.randint(0, 999)),
                "ltq": str(rng.choice([1, 5, 10, 25, 75, 150])),
                "cp": rupees(cp),
            },
            "marketLevel": {"bidAskQuote": depth},
            "optionGreeks": {},  # the broker sends an empty one for equities
            "marketOHLC": {"ohlc": candles},
            "atp": rupees(TICK * rng.randint(day_low // TICK, day_high // TICK)),
            "vtt": str(vtt),
            "tbq": float(rng.randint(10_000, 900_000)),
            "tsq": float(rng.randint(10_000, 900_000)),
        }
        key = f"NSE_EQ|INE{i:03d}X0101{i % 10}"
        feeds.append((key, {"fullFeed": {"marketFF": market_ff}, "requestMode": "full_d5"}))
    # The broker's map order is not sorted; shuffling keeps a decoder that forgets to sort from passing.
    rng.shuffle(feeds)
    return {"type": "live_feed", "feeds": dict(feeds), "currentTs": str(MANY_CURRENT_TS)}


def candle(interval, open_, high, low, close, volume, ts):
    """One OHLC entry in the JSON mapping, prices in paise."""
    return {
        "interval": interval,
        "open": rupees(open_),
        "high": rupees(high),
        "low": rupees(low),
        "close": rupees(close),
        "vol": str(volume),
        "ts": str(ts),
    }


def is_map(field):
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def encode(message, case):
    """The SDK's serialization of `message`, but with every map's entries in the order `case` lists them.

    The SDK writes map entries in its hash table's order, which is neither sorted nor ours to choose, and its
    deterministic mode sorts them, unlike the broker. Here each field is still encoded by the SDK, one record at a
    time in field-number order as the SDK writes them; only the order of map entries and the length prefix of a
    message that holds maps (MarketInfo) are written here.
    """
    out = bytearray()
    for field, value in message.ListFields():  # present fields, in field-number order
        if is_map(field):
            for key in case[field.json_name]:
                out += single_entry(message, field, key).SerializeToString()
        elif isinstance(value, Message) and any(is_map(f) for f in field.message_type.fields):
            out += length_delimited(field.number, encode(value, case[field.json_name]))
        else:
            out += only_field(message, field).SerializeToString()
    return bytes(out)


def single_entry(message, field, key):
    """A message of `message`'s type holding one entry of its map `field`."""
    one = type(message)()
    source, target = getattr(message, field.name), getattr(one, field.name)
    if field.message_type.fields_by_name["value"].message_type is None:
        target[key] = source[key]
    else:
        target[key].CopyFrom(source[key])
    return one


def only_field(message, field):
    """A copy of `message` with every field but `field` cleared."""
    one = type(message)()
    one.CopyFrom(message)
    for other, _ in message.ListFields():
        if other.name != field.name:
            one.ClearField(other.name)
    return one


def length_delimited(number, payload):
    """A length-delimited record (wire type 2): tag, varint length, payload."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def varint(value):
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def ltpc_of(feed):
    """The LTPC a feed carries, or None: plain `ltpc` mode, `marketFF`/`indexFF` in full mode, or
    `firstLevelWithGreeks`. A feed without one is no price update, never a zero price."""
    kind = feed.WhichOneof("FeedUnion")
    if kind == "ltpc":
        return feed.ltpc
    if kind == "fullFeed":
        inner = feed.fullFeed.WhichOneof("FullFeedUnion")
        holder = getattr(feed.fullFeed, inner) if inner else None
    elif kind == "firstLevelWithGreeks":
        holder = feed.firstLevelWithGreeks
    else:
        return None
    return holder.ltpc if holder is not None and holder.HasField("ltpc") else None


def ticks_view(response):
    """The normalized price view of a decoded frame, in NAME.ticks.json's shape."""
    ticks = []
    for key in sorted(response.feeds):
        ltpc = ltpc_of(response.feeds[key])
        if ltpc is None:
            continue
        ticks.append(
            {
                "instrument_key": key,
                "ltp": ltpc.ltp,
                "ltt": ltpc.ltt,
                "ltq": ltpc.ltq,  # 0 when absent: indices have none
                # A proto3 double has no presence: 0 on the wire means the broker sent no previous close.
                "cp": ltpc.cp or None,
            }
        )
    # `type` is absent on the wire for initial_feed (enum value 0); the SDK reads that as initial_feed.
    return {"type": feed_pb.Type.Name(response.type), "current_ts": response.currentTs, "ticks": ticks}


def check_printed_prices(name, view):
    """Every ltp and cp must print as a rupee decimal (at most 2 places), as the conformance rule requires."""
    for row in view["ticks"]:
        for price in (row["ltp"], row["cp"]):
            if price is not None and round(price, 2) != price:
                raise SystemExit(f"{name}: {row['instrument_key']} has price {price!r}, not a printed decimal")


def write_json(path, document, sort_keys):
    """One-space indent and no final newline, the layout the conformance files have always had."""
    path.write_text(json.dumps(document, indent=1, sort_keys=sort_keys))


def write_case(out_dir, name, case):
    """Writes NAME.bin, NAME.json and NAME.ticks.json for one case into out_dir."""
    message = json_format.ParseDict(case, feed_pb.FeedResponse())
    frame = encode(message, case)
    # The view is taken from the SDK's decoding of the bytes written, so it checks the encoding too.
    decoded = feed_pb.FeedResponse.FromString(frame)
    if decoded != message:
        raise SystemExit(f"{name}: the encoded frame does not decode to the case")
    view = ticks_view(decoded)
    check_printed_prices(name, view)
    (out_dir / f"{name}.bin").write_bytes(frame)
    write_json(out_dir / f"{name}.json", json_format.MessageToDict(decoded), sort_keys=True)
    write_json(out_dir / f"{name}.ticks.json", view, sort_keys=False)


def readme_text(names):
    case_list = "\n".join(f"- `{name}`: {CASE_NOTES[name]}" for name in names)
    return f"""# Upstox Market Data Feed V3 conformance frames

Generated by `tests/vectors/generate_upstox_v3.py` with the official Upstox Python SDK's compiled schema
({SDK} {importlib.metadata.version(SDK)}, `upstox_client.feeder.proto.MarketDataFeedV3_pb2`). Do not edit these
files: change the script and re-run it (`python3 tests/vectors/generate_upstox_v3.py`), then run
`cargo test --test integration upstox_feed`.

Each case is one binary WebSocket frame as the Upstox V3 feed sends it: a protobuf `FeedResponse`
(package `{feed_pb.DESCRIPTOR.package}`), encoded with the broker's official compiled schema.

- `NAME.bin`: the frame's bytes. Map entries (`feeds`, `segmentStatus`) are not sorted on the wire, as in the
  broker's frames.
- `NAME.json`: the same frame as the official Python SDK hands it to a user (protobuf JSON mapping: camelCase
  names, int64 as strings, enums as names, default values left out).
- `NAME.ticks.json`: the normalized price view: `type` (enum name; `initial_feed` when absent), `current_ts`
  (epoch ms), and one row per instrument whose feed carries an LTPC (plain `ltpc`, `fullFeed.marketFF.ltpc`,
  `fullFeed.indexFF.ltpc`, `firstLevelWithGreeks.ltpc`), sorted by instrument key: `instrument_key`, `ltp`,
  `ltt` (epoch ms), `ltq` (0 when absent), `cp` (previous close; null when absent).

Cases 01-08 are fixed frames defined in the script; 09 is built from a fixed seed.

{case_list}

Prices are IEEE doubles on the wire. Converting them to decimal rupees must give the printed values exactly
(e.g. `1516.0`, `3473.65`, `52.07`), not the binary expansion of the double.

A decoder conforms when, for every case, its normalized view equals `NAME.ticks.json` and it loses no field
that `NAME.json` shows.
"""


def generate(out_dir):
    """Writes every case and the README into out_dir; returns how many cases."""
    cases = dict(CASES)
    cases["09_live_full_many"] = many_instruments_case()
    out_dir.mkdir(parents=True, exist_ok=True)
    # Start clean so a renamed or removed case leaves no stale frame behind (the Rust tests read every *.bin).
    for stale in [*out_dir.glob("*.bin"), *out_dir.glob("*.json")]:
        stale.unlink()
    for name, case in cases.items():
        write_case(out_dir, name, case)
    (out_dir / "README.md").write_text(readme_text(list(cases)))
    return len(cases)


def check():
    """Generates into a temporary folder and compares with the committed files; exits 1 on any difference."""
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch)
        generate(fresh)
        names = sorted({p.name for p in fresh.iterdir()} | {p.name for p in OUT_DIR.iterdir()})
        _, mismatch, errors = filecmp.cmpfiles(fresh, OUT_DIR, names, shallow=False)
    if mismatch or errors:
        print(f"{SHOWN}: not what the script generates: {', '.join(mismatch + errors)}", file=sys.stderr)
        print("run python3 tests/vectors/generate_upstox_v3.py and commit the result", file=sys.stderr)
        sys.exit(1)
    print(f"{SHOWN}: {len(names)} files, as generated")


def main():
    if sys.argv[1:] == ["--check"]:
        check()
        return
    if sys.argv[1:]:
        sys.exit("usage: generate_upstox_v3.py [--check]")
    print(f"wrote {generate(OUT_DIR)} cases to {SHOWN}")


if __name__ == "__main__":
    main()
