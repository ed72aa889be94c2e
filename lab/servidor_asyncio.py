"""servidor_asyncio.py: el bucle de eventos de Python (asyncio), y cómo se bloquea.

Cómo ejecutarlo:

    py servidor_asyncio.py                    # 127.0.0.1:5050; el trabajo espera sin bloquear
    py servidor_asyncio.py 9000 --bloquea     # el trabajo bloquea el bucle (time.sleep)
    py servidor_asyncio.py 9000 --hilo        # el trabajo va a un hilo aparte (run_in_executor)
    py servidor_asyncio.py 9000 --segundos 2  # cuánto dura el trabajo de cada mensaje (por defecto, 0,5 s)
    py servidor_asyncio.py --help

Como en `servidor_selectors.py`, un solo hilo atiende a todos los clientes:
asyncio duerme hasta que algún socket está listo y entonces reanuda la
corrutina que lo esperaba. Cada mensaje, cuando su cliente cierra, lleva
un «trabajo» de 0,5 s, como una consulta a una base de datos:

- por defecto, `await asyncio.sleep(...)`: una espera que NO bloquea; el
  bucle atiende a los demás clientes mientras tanto (como `--work wait:500ms`
  de `sockmodes server`);
- con --bloquea, `time.sleep(...)`: una llamada bloqueante DENTRO del bucle;
  mientras duerme, ningún otro cliente avanza. Es el error clásico («no
  bloquees el bucle de eventos»): con dos clientes a la vez, el segundo
  espera al primero (como `--work block:500ms` en el bucle de mio);
- con --hilo, `loop.run_in_executor(None, time.sleep, ...)`: la misma
  llamada bloqueante, en un hilo de un ThreadPoolExecutor; el bucle sigue
  libre (como `--offload N`).

Límite (ley de Little): con --bloquea, como mucho 1 / 0,5 s = 2 mensajes por
segundo, lleguen los clientes que lleguen; sin él, tantos cada medio
segundo como clientes esperen a la vez. Lo explica docs/guia.md, sección 9.
"""

import asyncio
import os
import sys
import time

from arranque import opciones_con_puerto
from mostrar import Mensaje, preparar_salida


def segundos(texto):
    """Una duración en segundos; con coma o con punto: 0,5 o 0.5."""
    valor = float(texto.replace(",", "."))
    if not valor >= 0:
        raise ValueError(texto)
    return valor


def opciones(argv):
    """(puerto, modo, segundos) a partir de los argumentos."""
    analizador = opciones_con_puerto(
        "Un bucle de eventos asyncio; cada mensaje lleva un trabajo que espera, "
        "bloquea el bucle (--bloquea) o va a un hilo (--hilo).", "el puerto en el que escucha")
    modo = analizador.add_mutually_exclusive_group()
    modo.add_argument("--bloquea", dest="modo", action="store_const", const="bloquea",
                      help="el trabajo es time.sleep() dentro del bucle: bloquea a todos")
    modo.add_argument("--hilo", dest="modo", action="store_const", const="hilo",
                      help="el trabajo es time.sleep() en un hilo (run_in_executor)")
    analizador.add_argument("--segundos", type=segundos, default=0.5, metavar="S",
                            help="cuánto dura el trabajo de cada mensaje (por defecto, 0,5; vale 0.5 o 0,5)")
    args = analizador.parse_args(argv)
    return args.puerto, args.modo or "espera", args.segundos


ARRANQUE = time.monotonic()


async def trabajar():
    """El trabajo de un mensaje, según el modo."""
    if MODO == "bloquea":
        time.sleep(SEGUNDOS)                     # bloquea el bucle entero
    elif MODO == "hilo":
        bucle = asyncio.get_running_loop()
        await bucle.run_in_executor(None, time.sleep, SEGUNDOS)
    else:
        await asyncio.sleep(SEGUNDOS)            # el bucle sigue atendiendo


async def atender(lector, escritor):
    """Una conexión: lee hasta el fin del flujo, trabaja y muestra el mensaje."""
    direccion = escritor.get_extra_info("peername")
    mensaje = Mensaje()                          # los primeros 64 KiB, y la cuenta (mostrar.py)
    while True:                                  # hasta que el cliente cierra
        try:
            trozo = await lector.read(64 * 1024)
        except ConnectionError:
            break                                # cortó con RST: mostrar lo recibido
        if not trozo:
            break
        mensaje.anadir(trozo)
    inicio = time.monotonic()
    await trabajar()
    fin = time.monotonic()
    trabajo = f"{fin - inicio:.2f}".replace(".", ",")
    # Cuándo, contado desde el arranque: con --bloquea, dos mensajes enviados
    # a la vez salen separados por el trabajo; sin él, juntos.
    cuando = f"{fin - ARRANQUE:.2f}".replace(".", ",")
    print(f"Mensaje de {direccion[0]}:{direccion[1]}: {mensaje.visible()} "
          f"(a los {cuando} s del arranque; trabajo: {trabajo} s)", flush=True)
    escritor.close()
    await escritor.wait_closed()


async def principal():
    servidor = await asyncio.start_server(atender, "127.0.0.1", PUERTO)
    que = {"espera": "espera sin bloquear (asyncio.sleep)",
           "bloquea": "llamada bloqueante en el bucle (time.sleep)",
           "hilo": "llamada bloqueante en un hilo (run_in_executor)"}[MODO]
    duracion = f"{SEGUNDOS:g}".replace(".", ",")
    print(f"Servidor asyncio escuchando en 127.0.0.1:{PUERTO} (PID {os.getpid()}); trabajo de {duracion} s por "
          f"mensaje: {que}", flush=True)
    async with servidor:
        await servidor.serve_forever()


if __name__ == "__main__":
    preparar_salida()
    PUERTO, MODO, SEGUNDOS = opciones(sys.argv[1:])
    try:
        asyncio.run(principal())
    except KeyboardInterrupt:                    # Ctrl+C
        print("Servidor detenido", flush=True)
