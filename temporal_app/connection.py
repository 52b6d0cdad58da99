"""Where Temporal is and how to reach it, read as the Temporal CLI and SDKs read it.

`temporalio.envconfig` gives the standard TEMPORAL_* environment variables over a TOML profile
(TEMPORAL_PROFILE, default "default", in TEMPORAL_CONFIG_FILE or the platform's
temporalio/temporal.toml): address, namespace, API key, TLS and mTLS files, gRPC metadata.
This module is Django-free: config/settings.py resolves TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE
with it, scripts/dev.py decides with it whether to start a dev server, and the gateway
(temporal_app/gateway.py, the one module that calls Temporal) connects with the rest.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

from temporalio.envconfig import ClientConfigProfile

DEFAULT_NAMESPACE = "default"

# Variables that make a client speak TLS or present credentials (besides the config file).
_CREDENTIAL_PREFIXES = ("TEMPORAL_API_KEY", "TEMPORAL_TLS", "TEMPORAL_GRPC_META_",
                        "TEMPORAL_PROFILE")


def configured_target(env: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """(address, namespace) as envconfig reads them from `env` (default: this process's
    environment) and the TOML profile; None for what neither names. A profile that cannot be
    read names nothing here: connecting says why (gateway.connect_config)."""
    try:
        profile = ClientConfigProfile.load(
            override_env_vars=dict(env) if env is not None else None)
    except (RuntimeError, OSError, ValueError):  # envconfig's ConfigError is a RuntimeError
        return None, None
    return profile.address or None, profile.namespace or None


def target(env: Mapping[str, str] | None = None, default_port: int = 7233) -> tuple[str, str]:
    """(address, namespace) the app uses: configured_target's, else the local dev server on
    127.0.0.1:`default_port` (what `make dev` starts) and namespace "default"."""
    address, namespace = configured_target(env)
    return address or f"127.0.0.1:{default_port}", namespace or DEFAULT_NAMESPACE


def forget_credentials(env: MutableMapping[str, str], config_file: str = os.devnull) -> None:
    """Make `env` describe a plain local dev server: no API key, TLS, profile or gRPC metadata
    variables, and a config file with no profiles (make dev's own server, the test suite)."""
    for name in [k for k in env if k.startswith(_CREDENTIAL_PREFIXES)]:
        del env[name]
    env["TEMPORAL_CONFIG_FILE"] = config_file
