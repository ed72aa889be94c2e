"""servidor_asyncio.py: el bucle de eventos de Python (asyncio), y cómo se bloquea.

Cómo ejecutarlo:

    py servidor_asyncio.py                    # 127.0.0.1:8080; el trabajo espera sin bloquear
    py servidor_asyncio.py 9000 --bloquea     # el trabajo bloquea el bucle (time.sleep)
    py servidor_asyncio.py 9000 --hilo        # el trabajo va a un hilo aparte (run_in_executor)
    py servidor_asyncio.py 9000 --segundos 2  # cuánto dura el trabajo de cada mensaje (por defecto, 0,5 s)

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
import sys
import time


def visible(datos):
    """Los bytes recibidos, como texto que se lee y no se obedece."""
    # Lo que llega de la red se muestra, nunca se obedece: impreso tal cual,
    # un ESC (\x1b) cambiaría el color o el título de tu terminal. Como
    # repr(), esto escapa los caracteres de control y deja intactas las letras con tilde.
    texto = datos.decode("utf-8", errors="backslashreplace")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in texto)


def opciones(argv):
    """(puerto, modo, segundos) a partir de los argumentos."""
    puerto, modo, segundos = 8080, "espera", 0.5
    resto = list(argv)
    while resto:
        a = resto.pop(0)
        if a == "--bloquea":
            modo = "bloquea"
        elif a == "--hilo":
            modo = "hilo"
        elif a == "--segundos" and resto:
            segundos = float(resto.pop(0).replace(",", "."))
        else:
            puerto = int(a)
    return puerto, modo, segundos


PUERTO, MODO, SEGUNDOS = opciones(sys.argv[1:])
# Lo máximo que se guarda de un mensaje, para que un cliente no pueda llenar la memoria.
LIMITE = 64 * 1024
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
    mensaje = b""
    while len(mensaje) < LIMITE:                 # hasta que el cliente cierra
        trozo = await lector.read(LIMITE - len(mensaje))
        if not trozo:
            break
        mensaje += trozo
    inicio = time.monotonic()
    await trabajar()
    fin = time.monotonic()
    trabajo = f"{fin - inicio:.2f}".replace(".", ",")
    # Cuándo, contado desde el arranque: con --bloquea, dos mensajes enviados
    # a la vez salen separados por el trabajo; sin él, juntos.
    cuando = f"{fin - ARRANQUE:.2f}".replace(".", ",")
    print(f"Mensaje de {direccion[0]}:{direccion[1]}: {visible(mensaje)} "
          f"(a los {cuando} s del arranque; trabajo: {trabajo} s)", flush=True)
    escritor.close()
    await escritor.wait_closed()


async def principal():
    servidor = await asyncio.start_server(atender, "127.0.0.1", PUERTO)
    que = {"espera": "espera sin bloquear (asyncio.sleep)",
           "bloquea": "llamada bloqueante en el bucle (time.sleep)",
           "hilo": "llamada bloqueante en un hilo (run_in_executor)"}[MODO]
    duracion = f"{SEGUNDOS:g}".replace(".", ",")
    print(f"Servidor asyncio escuchando en 127.0.0.1:{PUERTO}; trabajo de {duracion} s por "
          f"mensaje: {que}", flush=True)
    async with servidor:
        await servidor.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(principal())
    except KeyboardInterrupt:                    # Ctrl+C
        print("Servidor detenido", flush=True)
