"""Visual checks of an HKSANC run: attention maps and training curves.

Submodules (imported explicitly, so that ``import mmhkd`` never pulls in
matplotlib):

- :mod:`.overlay`: an attention map drawn over an image, as RGB pixels;
- :mod:`.attention_maps`: teacher and student attention maps of chosen test
  images, from a distillation checkpoint;
- :mod:`.attention_figure`: one figure per image from those maps;
- :mod:`.scalar_logs`: mmengine's ``vis_data/scalars.json`` logs, parsed;
- :mod:`.curves`: loss, discriminator and validation curves of several runs.
"""
