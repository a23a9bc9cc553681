"""The document type interface: what a kind of document declares and how it is read.

A document type (receipt, invoice, utility bill, or a third party's) is a
:class:`DocumentType` subclass named by an entry point in the ``untxt.extractors``
group, untxt's own included (see ``pyproject.toml``)::

    [project.entry-points."untxt.extractors"]
    purchase_order = "mypackage.po:PurchaseOrder"

    class PurchaseOrder(DocumentType):
        name = "purchase_order"
        fields = (FieldSpec(name="PurchaseOrder", kind="string", description="..."),)

        def score(self, view): ...
        def extract(self, view): ...

Both methods are pure functions of the :class:`~untxt.extract.view.DocumentView`
(the Document model and the job's languages): they never read the image again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from untxt.extract.model import Extraction, FieldSpec
from untxt.extract.view import DocumentView


class DocumentType(ABC):
    """Base class of document types; instances are stateless and shared."""

    #: The type's name, as in ``extract: ["invoice"]`` and ``document_type``.
    name: ClassVar[str]
    #: The fields the type reads, in the order they are listed.
    fields: ClassVar[tuple[FieldSpec, ...]]
    #: The fields of each of its ``Items``; empty for a type without line items.
    item_fields: ClassVar[tuple[FieldSpec, ...]] = ()

    @abstractmethod
    def score(self, view: DocumentView) -> float:
        """Evidence that the document is of this type: 0 for none, about 1 for plain.

        ``extract: ["auto"]`` gives the document the type of the highest score (or
        ``other`` when no score reaches 0.5).
        """

    @abstractmethod
    def extract(self, view: DocumentView) -> Extraction:
        """The fields of a document of this type.

        Fields the document does not print are left out, never guessed; a value
        that contradicts another (a total that is not subtotal + tax) lowers its
        confidence and adds a warning.
        """
