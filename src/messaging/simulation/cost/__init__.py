"""What a run costs on AWS: list prices (`prices`), the billing rules (`model`), and the
design comparison the store's commit strategy was chosen by (`designs`)."""

from messaging.simulation.cost.model import AwsCost, CostLine, Extras, price_usage
from messaging.simulation.cost.prices import PRICES, PRICES_DATE, REGION, Price

__all__ = [
    "PRICES",
    "PRICES_DATE",
    "REGION",
    "AwsCost",
    "CostLine",
    "Extras",
    "Price",
    "price_usage",
]
