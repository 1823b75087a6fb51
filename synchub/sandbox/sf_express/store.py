"""An SF Express customer code (顾客编码): its check word, the waybills it created and the
routes of every waybill it was asked about.

Any well-formed waybill number (``SF`` and 12 or 13 digits) has a seeded journey
(:mod:`synchub.sandbox.kit.parcels`), rendered as SF routes: ``opCode``, ``acceptTime``
(``yyyy-MM-dd HH:mm:ss`` Beijing time), ``acceptAddress``, ``remark`` in Chinese. A number SF
never scanned answers an empty ``routes`` list. The control action ``track`` moves a
parcel on. Waybills come from ``EXP_RECE_CREATE_ORDER``, one per ``orderId``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from synchub.sandbox.kit.limits import LeakyBucket
from synchub.sandbox.kit.parcels import Journey, JourneyStore, Step
from synchub.sandbox.kit.seed import rng_for
from synchub.sandbox.kit.times import beijing

WAYBILL = re.compile(r"^SF\d{12,13}$")
CITIES = {"Leipzig": "武汉市", "Bonn": "南京市", "Hamburg": "上海市",
          "Frankfurt am Main": "杭州市", "Koeln": "广州市", "Muenchen": "成都市",
          "Berlin": "北京市", "Stuttgart": "西安市", "Hannover": "长沙市",
          "Dortmund": "郑州市", "Bielefeld": "深圳市", "Nuernberg": "东莞市",
          "Bremen": "佛山市", "Kassel": "苏州市", "Amsterdam": "厦门市", "Wien": "天津市",
          "Paris": "重庆市", "Mainz": "青岛市", "Dresden": "宁波市"}
# stage -> (opCode, remark); failed_attempt and exception use codes outside the table the
# hub knows for sure, as a real route list holds many (docs/systems/sf_express.md)
OPS: dict[str, tuple[str, str]] = {
    "pickup": ("54", "顺丰速运 已收取快件"),
    "sorted": ("30", "快件在【{city}集散中心】完成分拣，准备发往下一站"),
    "arrived": ("31", "快件到达 【{city}中转场】"),
    "left": ("36", "快件离开 【{city}中转场】，已在发往下一站的路上"),
    "out_for_delivery": ("44", "快件交给快递员，正在派送途中"),
    "failed_attempt": ("70", "快件派送不成功，将再次派送"),
    "exception": ("33", "快件滞留，正在处理中"),
    "delivered": ("80", "快件已签收，签收人是【本人】"),
    "returned": ("631", "快件已退回寄件人"),
}
TRANSIT = ("sorted", "arrived", "left")


def well_formed(number: str) -> bool:
    """``SF`` followed by 12 or 13 digits."""
    return bool(WAYBILL.match(number.strip().upper()))


class SfExpressStore(JourneyStore):
    """One customer code: credentials, journeys, created waybills, request ids, a quota."""

    system = "sf_express"
    number_kind = "SF waybill number"

    def __init__(self, seed: int, name: str, *, orders: int = 0, customers: int = 0,
                 products: int = 1, poisoned: int = 0, rate_limits: bool = True) -> None:
        super().__init__(seed, name, products=products, rate_limits=rate_limits)
        r = rng_for(self.key, "credentials")
        self.partner_id = f"SBX_{name.upper()}"
        self.checkword = "".join(r.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz"
                                          "23456789") for _ in range(32))
        self.check_phone = "8000"    # the last four digits of the shop's sender phone
        self.waybills: dict[str, dict[str, Any]] = {}   # orderId -> the order SF accepted
        self.request_ids: dict[str, int] = {}            # requestID -> when it was seen
        self.bucket = LeakyBucket(capacity=10, leak_per_second=5.0)
        self._serial = 0

    def credentials(self) -> dict[str, str]:
        """The customer code (the Connection's login) and check word (its password)."""
        return {"partner_id": self.partner_id, "checkword": self.checkword,
                "check_phone": self.check_phone}

    def connection(self, url: str) -> dict[str, Any]:
        """The customer code and check word; the phone digits route queries ask for."""
        return {"conn_type": "http", "host": url, "login": self.partner_id,
                "password": self.checkword, "extra": {"check_phone": self.check_phone}}

    def counts(self) -> dict[str, int]:
        """Waybills created and parcels asked about."""
        with self.lock:
            return {"waybills": len(self.waybills), "parcels": len(self.journeys)}

    def parcel_key(self, number: str) -> str:
        """A waybill number as SF files it: trimmed, upper case (inner spaces stay)."""
        return number.strip().upper()

    def number_known(self, key: str) -> bool:
        """``SF`` and 12 or 13 digits; a number made ``not_found`` was never scanned."""
        return well_formed(key)

    def render(self, journey: Journey) -> dict[str, Any]:
        """The ``routeResps`` entry of a waybill the ``track`` action moved."""
        return self.route_resp(journey.number)

    def route_resp(self, number: str) -> dict[str, Any]:
        """One ``routeResps`` entry: the waybill's routes oldest first (none if unscanned)."""
        journey = self.journey(number)
        routes = [] if journey is None else [
            _route(step, i, self.key, number) for i, step in enumerate(journey.steps)
            if step.stage not in ("info_received", "expired")]
        return {"mailNo": number.strip().upper(), "routes": routes}

    def search_routes(self, msg: Mapping[str, Any]) -> tuple[str | None, Any]:
        """``EXP_RECE_SEARCH_ROUTES``: (service error code, msgData)."""
        numbers = msg.get("trackingNumber")
        if isinstance(numbers, str):
            numbers = [n for n in numbers.split(",") if n]
        if str(msg.get("trackingType", "1")) != "1":
            return "8152", "sandbox: only trackingType 1 (waybill numbers) is served"
        if not isinstance(numbers, list) or not numbers or len(numbers) > 10:
            return "8013", "trackingNumber 必须是1到10个运单号"
        out = []
        for number in numbers:
            text = str(number)
            created = any(w["waybillNo"] == text.upper() for w in self.waybills.values())
            if not created and str(msg.get("checkPhoneNo") or "") != self.check_phone:
                # a waybill not shipped on this customer code needs the phone digits
                out.append({"mailNo": text, "routes": []})
                continue
            out.append(self.route_resp(text))
        return None, {"routeResps": out}

    def create_order(self, msg: Mapping[str, Any]) -> tuple[str | None, Any]:
        """``EXP_RECE_CREATE_ORDER``: one waybill per ``orderId`` (8016 for a repeat)."""
        order_id = str(msg.get("orderId") or "")
        if not order_id or len(order_id) > 64:
            return "8024", "orderId 不能为空且不超过64位"
        if order_id in self.waybills:
            return "8016", "重复下单"
        contacts = msg.get("contactInfoList")
        kinds = sorted(int(c.get("contactType", 0)) for c in contacts or []
                       if isinstance(c, dict))
        if kinds != [1, 2]:
            return "8008", "contactInfoList 必须包含寄件方(1)和到件方(2)"
        for c in contacts or []:
            if not c.get("contact") or not c.get("address") or not (c.get("mobile")
                                                                    or c.get("tel")):
                return "8009", "联系人、地址、电话不能为空"
        cargo = msg.get("cargoDetails")
        if not isinstance(cargo, list) or not cargo or not all(
                isinstance(c, dict) and c.get("name") for c in cargo):
            return "8011", "cargoDetails 托寄物名称不能为空"
        self._serial += 1
        draw = rng_for(self.key, "waybill", order_id).randrange(10**9)
        number = f"SF{1300000000000 + draw * 100 + self._serial % 100}"
        at = self.stamp()
        self.waybills[order_id] = {"orderId": order_id, "waybillNo": number, "at": at,
                                   "msg": dict(msg)}
        self.journeys[number] = Journey(number, "深圳市", "上海市",
                                        [Step(at, "info_received", "Bielefeld")])
        return None, {"orderId": order_id, "originCode": "755", "destCode": "021",
                      "filterResult": 2, "remark": "",
                      "waybillNoInfoList": [{"waybillType": 1, "waybillNo": number}]}


    def search_order(self, msg: Mapping[str, Any]) -> tuple[str | None, Any]:
        """``EXP_RECE_SEARCH_ORDER_RESP``: the waybill of an order created before."""
        found = self.waybills.get(str(msg.get("orderId") or ""))
        if found is None:
            return "20052", "订单不存在"
        return None, {"orderId": found["orderId"], "originCode": "755", "destCode": "021",
                      "filterResult": 2,
                      "waybillNoInfoList": [{"waybillType": 1, "waybillNo": found["waybillNo"]}]}


def _route(step: Step, index: int, key: str, number: str) -> dict[str, Any]:
    stage = step.stage
    if stage == "in_transit":
        stage = "pickup" if index <= 1 else TRANSIT[
            rng_for(key, "op", number, index).randrange(len(TRANSIT))]
    code, remark = OPS[stage]
    city = CITIES.get(step.location, step.location)
    return {"acceptTime": beijing(step.at), "acceptAddress": city,
            "remark": remark.format(city=city), "opCode": code}
