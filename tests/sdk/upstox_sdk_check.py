"""Drives dalal's simulator with Upstox's official Python SDK (upstox-python-sdk), as a trader's own script would.

usage: python3 upstox_sdk_check.py BASE_URL TOKEN
Prints one JSON object with what the SDK saw and exits 0, or prints the failure and exits 1.
The SDK's V3 streamer connects to a hard-coded wss://api.upstox.com address; only that address is rewritten to
the simulator's, so the SDK's own handshake, redirect following, subscription and decoding are what run.
"""
import json
import sys
import threading

import upstox_client
import websocket
from upstox_client.feeder import market_data_feeder_v3

BASE, TOKEN = sys.argv[1], sys.argv[2]
KEYS = ["NSE_EQ|INE002A01018", "NSE_EQ|INE009A01021"]


class SimulatorApp(websocket.WebSocketApp):
    def __init__(self, url, *args, **kwargs):
        url = url.replace("wss://api.upstox.com", BASE.replace("http://", "ws://"))
        super().__init__(url, *args, **kwargs)


market_data_feeder_v3.websocket.WebSocketApp = SimulatorApp


def main():
    configuration = upstox_client.Configuration()
    configuration.host = BASE
    configuration.order_host = BASE
    configuration.access_token = TOKEN
    client = upstox_client.ApiClient(configuration)
    seen = {}

    ltp = upstox_client.MarketQuoteV3Api(client).get_ltp(instrument_key=",".join(KEYS))
    seen["ltp"] = {entry.instrument_token: entry.last_price for entry in ltp.data.values()}
    assert sorted(seen["ltp"]) == sorted(KEYS), seen["ltp"]

    order = upstox_client.PlaceOrderV3Request(
        quantity=3, product="I", validity="DAY", price=0.0, tag="sdk-check", instrument_token=KEYS[0],
        order_type="MARKET", transaction_type="BUY", disclosed_quantity=0, trigger_price=0.0, is_amo=False,
        slice=False)
    placed = upstox_client.OrderApiV3(client).place_order(order)
    order_id = placed.data.order_ids[0]
    book = upstox_client.OrderApi(client).get_order_book(api_version="2.0")
    mine = [o for o in book.data if o.order_id == order_id]
    assert mine and mine[0].status == "complete" and mine[0].filled_quantity == 3, book.data
    seen["order"] = {"order_id": order_id, "status": mine[0].status, "average_price": mine[0].average_price}

    messages, errors, done = [], [], threading.Event()
    streamer = upstox_client.MarketDataStreamerV3(client, KEYS, "full")

    def on_message(message):
        messages.append(message)
        if any(m.get("type") == "live_feed" and m.get("feeds") for m in messages):
            done.set()

    def on_error(error):
        errors.append(str(error))
        done.set()

    streamer.on("message", on_message)
    streamer.on("error", on_error)
    streamer.auto_reconnect(False)
    streamer.connect()
    finished = done.wait(timeout=30)
    streamer.disconnect()
    assert finished, "no live feed within 30 s"
    assert not errors, errors
    kinds = [m.get("type", "initial_feed") for m in messages]
    assert kinds[0] == "market_info", kinds
    assert "initial_feed" in kinds and "live_feed" in kinds, kinds
    snapshot = next(m for m in messages if "type" not in m and m.get("feeds"))
    assert sorted(snapshot["feeds"]) == sorted(KEYS), snapshot
    market_ff = snapshot["feeds"][KEYS[0]]["fullFeed"]["marketFF"]
    assert len(market_ff["marketLevel"]["bidAskQuote"]) == 5, market_ff
    assert snapshot["feeds"][KEYS[0]]["requestMode"] == "full_d5", snapshot
    seen["frames"] = kinds
    print(json.dumps(seen))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report any failure as one line for the Rust test to show
        print(f"SDK check failed: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
