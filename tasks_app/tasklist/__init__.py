"""Excel import and export of the task list (任务清单) with its indicators (指标体系) and policies (政策体系).

The workbook has three sheets, each with a header row (row 1) whose columns may come in any order:

* 任务清单 — one row per task; the dotted 编号 says where it sits (``2.3.1`` under ``2.3``);
* 指标体系 — indicators, by 任务编号;
* 政策体系 — policy documents, by 任务编号 (one document linked to several tasks is stored once).

An import is all or nothing: every problem in the file is collected (sheet, Excel row, column and a
Chinese message) and one error means nothing is saved. A clean file is saved with bulk inserts in
one transaction, and every created task is traced.

The code lives in one module per subject; callers import from the submodule that owns a name:

* ``schema`` — the template: sheets, columns, required columns, widths, lengths, accepted words, limits;
* ``cells`` — reading (and writing back) single cell values;
* ``report`` — the import report and the collection of problems by sheet, row and column;
* ``reader`` — reading the uploaded file safely into rows;
* ``plan`` — checking the rows and planning what to create;
* ``importer`` — the all-or-nothing bulk save and the service ``tasklist_import``;
* ``export`` — the service ``tasklist_export``;
* ``permissions`` — who may import or export.
"""
