"""Login Flow AI: a plain-language description becomes a flow document, on this machine.

- :mod:`~identra.flowai.tagger` and :mod:`~identra.flowai.lexicon`: words to tagged phrases
  (options and their synonyms, keywords, the organization's names, typo correction);
- :mod:`~identra.flowai.reader`: tagged phrases to a :class:`~identra.flowai.spec.Spec`, with
  questions for what is unknown or ambiguous and assumptions for what was decided;
- :mod:`~identra.flowai.build`: a spec to a flow document of fixed shape and wording;
- :mod:`~identra.flowai.compiler`: readings (first and alternatives), validation, diffs;
- :mod:`~identra.flowai.explain`: a flow document in one paragraph;
- :mod:`~identra.flowai.equivalence`: flows equal up to node ids;
- :mod:`~identra.flowai.llm`: the optional OpenAI-compatible back end and its checks;
- :mod:`~identra.flowai.service`: what ``identra flows generate`` and the API call.

See docs/flow-ai.md.
"""
