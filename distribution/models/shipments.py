"""Shipments of physical gifts (物流登记): a courier parcel and the items it carries.

A parcel is one (courier, tracking no.) pair, unique in the table, and belongs to one
policy: several items of that policy may travel under one tracking number (one line
each), while the same number for another policy is refused by the database. An item
may be shipped in parts; what is still to ship is its quantity less its lines'.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from policies.models import Policy
from suppliers.models import Provider

from .records import DistributionItem


class Courier(models.TextChoices):
    SF = "SF", _("SF Express")
    ZTO = "ZTO", _("ZTO Express")
    YTO = "YTO", _("YTO Express")
    STO = "STO", _("STO Express")
    YUNDA = "YUNDA", _("Yunda Express")
    JD = "JD", _("JD Logistics")
    EMS = "EMS", _("China Post EMS")
    DEPPON = "DEPPON", _("Deppon Express")
    JTEXPRESS = "JT", _("J&T Express")
    OTHER = "OTHER", _("other courier")


# What each courier's waybill numbers look like (after upper-casing, spaces removed).
# Loose enough for the formats in use, tight enough to catch a number typed into the
# wrong courier or cut short.
TRACKING_FORMATS = {
    Courier.SF: r"SF\d{12,13}|\d{12}",
    Courier.ZTO: r"7\d{13}|\d{12}",
    Courier.YTO: r"YT\d{13,15}",
    Courier.STO: r"\d{12,15}",
    Courier.YUNDA: r"\d{13}|\d{15}",
    Courier.JD: r"JD[0-9A-Z]{11,13}",
    Courier.EMS: r"[A-Z]{2}\d{9}[A-Z]{2}|1\d{12}",
    Courier.DEPPON: r"DPK\d{12}|\d{10}",
    Courier.JTEXPRESS: r"JT\d{13}",
    Courier.OTHER: r"[0-9A-Z-]{6,30}",
}
_COMPILED = {code: re.compile(rf"(?:{pattern})") for code, pattern in TRACKING_FORMATS.items()}
# An example number per courier, for the form's hint and the sheet template.
TRACKING_EXAMPLES = {
    Courier.SF: "SF1234567890123",
    Courier.ZTO: "78123456789012",
    Courier.YTO: "YT1234567890123",
    Courier.STO: "773123456789012",
    Courier.YUNDA: "4312345678901",
    Courier.JD: "JDVA12345678901",
    Courier.EMS: "1123456789012",
    Courier.DEPPON: "DPK123456789012",
    Courier.JTEXPRESS: "JT1234567890123",
    Courier.OTHER: "ABC123456",
}
_SPACES = re.compile(r"[\s\u3000]+")


def normalize_tracking_no(value: str) -> str:
    return _SPACES.sub("", value or "").upper()


def tracking_error(courier: str, tracking_no: str) -> str | None:
    """Why ``tracking_no`` (normalized) is not a number of ``courier``; None when it is."""
    pattern = _COMPILED.get(courier)
    if pattern is None:
        return str(_("Unknown courier company."))
    if not tracking_no:
        return str(_("Enter the tracking number."))
    if not pattern.fullmatch(tracking_no):
        return str(
            _("%(number)s is not a %(courier)s tracking number (e.g. %(example)s).")
            % {
                "number": tracking_no,
                "courier": Courier(courier).label,
                "example": TRACKING_EXAMPLES[courier],
            }
        )
    return None


class Shipment(models.Model):
    """One courier parcel of a supplier to one policy's recipient."""

    provider = models.ForeignKey(
        Provider, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="shipments"
    )
    policy = models.ForeignKey(
        Policy, verbose_name=_("policy"), on_delete=models.PROTECT, related_name="shipments"
    )
    courier = models.CharField(_("courier company"), max_length=8, choices=Courier.choices)
    tracking_no = models.CharField(_("tracking no."), max_length=30)
    shipped_at = models.DateTimeField(_("shipped at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-shipped_at", "-id"]
        constraints = [
            # One parcel per waybill: the same number for another policy cannot exist.
            models.UniqueConstraint(
                fields=["courier", "tracking_no"], name="shipment_courier_tracking_unique"
            ),
            models.CheckConstraint(
                condition=Q(courier__in=Courier.values), name="shipment_courier_valid"
            ),
            models.CheckConstraint(
                condition=Q(delivered_at__isnull=True)
                | Q(delivered_at__gte=models.F("shipped_at")),
                name="shipment_delivered_after_shipped",
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "-shipped_at"], name="shipment_provider_time"),
            models.Index(fields=["tracking_no"], name="shipment_tracking_no"),
        ]

    def __str__(self) -> str:
        return f"{self.get_courier_display()} {self.tracking_no}"

    def clean(self):
        self.tracking_no = normalize_tracking_no(self.tracking_no)
        error = tracking_error(self.courier, self.tracking_no)
        if error:
            raise ValidationError({"tracking_no": error})


class ShipmentLine(models.Model):
    """How many of one distributed item travel in one parcel."""

    shipment = models.ForeignKey(
        Shipment, verbose_name=_("shipment"), on_delete=models.PROTECT, related_name="lines"
    )
    item = models.ForeignKey(
        DistributionItem,
        verbose_name=_("distributed item"),
        on_delete=models.PROTECT,
        related_name="shipment_lines",
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        ordering = ["shipment", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "item"], name="shipment_line_item_once"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="shipment_line_quantity_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shipment} · {self.item}"
