"""Every task of ekrav's survives the database going away for a moment: it is tried again."""

from unittest import mock

import pytest
from django.db.utils import OperationalError

from ekrav.celery import EkravTask, app


def ekrav_tasks():
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_every_task_is_retried_when_the_database_is_gone():
    tasks = ekrav_tasks()
    assert len(tasks) > 10
    for name, task in tasks.items():
        assert isinstance(task, EkravTask), name
        assert OperationalError in task.autoretry_for, name


def test_a_task_that_meets_a_restarting_database_is_retried_not_lost(settings):
    from webhooks.tasks import webhook_deliveries_due_task as task

    with mock.patch.object(task, "retry", side_effect=RuntimeError("retried")) as retry, \
            mock.patch("webhooks.tasks.deliveries_due",
                       side_effect=OperationalError("the database system is shutting down")):
        with pytest.raises(RuntimeError, match="retried"):
            task.run()
    assert isinstance(retry.call_args.kwargs["exc"], OperationalError)
