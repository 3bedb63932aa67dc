"""Alerts as figures (``pgb plot``, ``pgb.plot``): needs the ``[plot]`` extra
(matplotlib and astropy). Nothing here imports them until a figure is drawn."""
