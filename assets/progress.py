"""A step's progress into its run's log (pipelines.core.progress), every few seconds.

The engine's meters are throttled by time, so the log gets the start, a line every
``LOG_EVERY_SECONDS`` while the step works, and the final figures (which the metadata
also holds). Sinks the process attached (`strata load`'s terminal) get the same events.
"""

from dagster import AssetExecutionContext

from pipelines.core.progress import Every, Progress, ProgressEvent

LOG_EVERY_SECONDS = 5.0


def run_progress(context: AssetExecutionContext) -> Progress:
    def log(event: ProgressEvent) -> None:
        context.log.info(event.line())

    return Progress.watched(Every(log, LOG_EVERY_SECONDS))
