"""MLflow's own file store, with the lookups it repeats on every call cached.

This folder goes on a local job's PYTHONPATH (see `amlmagic.local.tracking.runs`). Its
`*.dist-info/entry_points.txt` registers `build_store` for the `file` scheme in MLflow's
`mlflow.tracking_store` entry point group; MLflow registers entry points after its built-in
stores, so inside the job `file://` URIs get this store. It imports only MLflow, because the job's
environment may not have amlmagic installed. Without this folder the stock store is used and
everything still works, only slower.

Why: the stock `FileStore.log_metric` spends ~80% of its time finding the run again on each
call: it lists the root, the trash and every experiment folder (so the cost grows with the number
of runs in the workspace), then parses meta.yaml with PyYAML and builds a RunInfo. We cache the
run's folder (re-checked with one stat) and the parsed meta.yaml (re-read when its inode, size or
mtime change, and dropped whenever this process rewrites it). The on-disk format is untouched.

Every rank of a distributed job logs into the job's one run, so several processes write it at
once. The stock store rewrites meta.yaml, params and tags in place (open "w", then write): another
process reading in between sees an empty file ("Changing param values is not allowed" for a param
two ranks log with the same value, a torn meta.yaml). Here those files appear whole: written to a
temporary file in the run's folder, then renamed over (meta.yaml, tags) or linked into place
(params: the first writer wins and a later one compares, as MLflow's immutability rule wants).
Metrics are appended one line per write, which O_APPEND already keeps whole.
"""

from __future__ import annotations

import os
import uuid

from mlflow.entities import ViewType
from mlflow.store.tracking.file_store import FileStore, _make_persisted_run_info_dict
from mlflow.utils.file_utils import make_containing_dirs

__all__ = ["CachingFileStore", "build_store"]

_META = "meta.yaml"


class CachingFileStore(FileStore):
    """A FileStore that does not search the folder tree nor parse meta.yaml on every call."""

    def __init__(self, root_directory=None, artifact_root_uri=None):
        self._run_roots: dict[str, tuple[str, str]] = {}
        self._run_infos: dict[str, tuple[tuple[int, int, int], object]] = {}
        self._experiment_paths: dict[tuple[str, int], str] = {}
        super().__init__(root_directory, artifact_root_uri)

    def _find_run_root(self, run_uuid, validate_structure=True):
        hit = self._run_roots.get(run_uuid)
        # Deleting or restoring an experiment moves its folder: then search again.
        if hit is not None and os.path.isdir(hit[1]):
            return hit
        exp_id, run_dir = super()._find_run_root(run_uuid, validate_structure)
        if run_dir is not None and validate_structure:
            self._run_roots[run_uuid] = (exp_id, run_dir)
        return exp_id, run_dir

    def _get_run_info_from_dir(self, run_dir):
        try:
            st = os.stat(os.path.join(run_dir, _META))
        except OSError:
            return super()._get_run_info_from_dir(run_dir)
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        hit = self._run_infos.get(run_dir)
        if hit is not None and hit[0] == key:
            return hit[1]
        info = super()._get_run_info_from_dir(run_dir)
        self._run_infos[run_dir] = (key, info)
        return info

    def _overwrite_run_info(self, run_info, deleted_time=None):
        # Forget our copy whenever we write it ourselves (a rewrite within one mtime tick could
        # keep inode, size and mtime of a file we then re-read).
        self._run_infos.clear()
        try:
            import yaml

            run_dir = self._get_run_dir(run_info.experiment_id, run_info.run_id)
            data = _make_persisted_run_info_dict(run_info)
            if deleted_time is not None:
                data["deleted_time"] = deleted_time
            text = yaml.safe_dump(data, default_flow_style=False, allow_unicode=True, sort_keys=True)
            os.replace(self._temporary(run_dir, text), os.path.join(run_dir, _META))
        finally:
            self._run_infos.clear()

    @staticmethod
    def _temporary(run_dir, text):
        """A new file in the run's folder holding `text` (walk_keys skips `.tmp-` names)."""
        path = os.path.join(run_dir, f".tmp-{uuid.uuid4().hex}")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def _log_run_param(self, run_info, param):
        path = self._get_param_path(run_info.experiment_id, run_info.run_id, param.key)
        value = self._writeable_value(param.value)
        make_containing_dirs(path)
        temporary = self._temporary(self._get_run_dir(run_info.experiment_id, run_info.run_id), value)
        try:
            os.link(temporary, path)  # creates the param whole, or fails if it exists
        except FileExistsError:
            self._validate_new_param_value(
                param_path=path, param_key=param.key, run_id=run_info.run_id, new_value=value)
        except OSError:  # a file system without hard links: the stock way
            super()._log_run_param(run_info, param)
        finally:
            os.unlink(temporary)

    def _set_run_tag(self, run_info, tag):
        path = self._get_tag_path(run_info.experiment_id, run_info.run_id, tag.key)
        make_containing_dirs(path)
        run_dir = self._get_run_dir(run_info.experiment_id, run_info.run_id)
        os.replace(self._temporary(run_dir, self._writeable_value(tag.value)), path)

    def _get_experiment_path(self, experiment_id, view_type=ViewType.ALL, assert_exists=False):
        key = (experiment_id, view_type)
        hit = self._experiment_paths.get(key)
        if hit is not None and os.path.isdir(hit):
            return hit
        path = super()._get_experiment_path(experiment_id, view_type, assert_exists)
        if path is not None:
            self._experiment_paths[key] = path
        else:
            self._experiment_paths.pop(key, None)
        return path


def build_store(store_uri, **_):
    """The `file` scheme's builder, with the same arguments as MLflow's stock one."""
    return CachingFileStore(store_uri, store_uri)
