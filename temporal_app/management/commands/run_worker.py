import asyncio
import os
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the Temporal worker (review workflow + activities) until SIGINT/SIGTERM."

    def handle(self, *args, **options) -> None:
        from temporal_app.worker import run_worker

        asyncio.run(run_worker())
        sys.stdout.flush()
        sys.stderr.flush()
        # Exit deliberately: a temporalio client can crash at interpreter exit (sdk-python#300).
        os._exit(0)
