"""Service actions of the integration, registered once for the domain (``async_setup``).

They act on devices (strips, outlets) rather than on one config entry, so they are registered
with the domain and find each target's entry themselves; an unloaded strip says so.
"""

from __future__ import annotations

from typing import Final

from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.helpers import config_validation as cv

from .billing.services import async_setup_billing_services
from .const import DOMAIN
from .coworker import async_setup_coworker
from .orchestration import async_setup_orchestration_services
from .pairing import async_pair_again, async_pairing_targets

SERVICE_PAIR_OUTLET: Final = "pair_outlet"

# Targets only: outlet devices, strip devices (all their outlets), their entities or areas.
PAIR_OUTLET_SCHEMA: Final = cv.make_entity_service_schema({})


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's service actions."""
    hass.services.async_register(
        DOMAIN, SERVICE_PAIR_OUTLET, _async_pair_outlet, schema=PAIR_OUTLET_SCHEMA
    )
    # Sessions, consumption and billing (billing/services.py).
    async_setup_billing_services(hass)
    # Closing hours and budgets (orchestration.py).
    async_setup_orchestration_services(hass)
    # The coworkers' personal pages and their links (coworker/).
    async_setup_coworker(hass)


async def _async_pair_outlet(call: ServiceCall) -> None:
    """Make the laptops on the targeted outlets pair again."""
    for target in async_pairing_targets(call.hass, call):
        await async_pair_again(target.coordinator, target.outlet_ids)
