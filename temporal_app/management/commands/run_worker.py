import asyncio

from django.core.management.base import BaseCommand, CommandError

from temporal_app import errors, queues
from temporal_app.commands import exit_cleanly


class Command(BaseCommand):
    help = ("Run a Temporal worker until SIGINT/SIGTERM: --queue review (workflows, database "
            "writes, mail), llm (LLM calls) or all (both; the default).")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--queue", choices=queues.ROLES, default=queues.ALL,
                            help="which task queue(s) this process serves (default: all)")

    def run_from_argv(self, argv) -> None:
        # Every way out ends in os._exit, a refusal (exit 1 with the sentence) included: a
        # temporalio client can crash at interpreter exit (sdk-python#300).
        exit_cleanly(self, argv)

    def handle(self, *args, **options) -> None:
        from temporal_app.worker import run_worker

        try:
            asyncio.run(run_worker(options["queue"]))
        except errors.RedlineError as err:  # Temporal unreachable, credentials refused: say so
            raise CommandError(str(err)) from err
