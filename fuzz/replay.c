/*
 * replay.c — a fuzz target without libFuzzer: feeds it files and directories
 * of inputs once each (the seed corpus and the regressions), for CI, built with
 * gcc and ASan/UBSan. Each input runs in its own process, so that a crash is
 * one failure and the rest still run; a hang is a failure after 10 seconds.
 *
 *   datacube_replay corpus/datacube regressions/datacube
 *
 * Ends with "N passed, N failed"; the exit status is 1 when any failed or
 * when there was no input at all.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIMEOUT_SECONDS 10

static int	passed = 0;
static int	failed = 0;

static void
child(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	uint8_t    *data;
	long		size;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
		fseek(f, 0, SEEK_SET) != 0)
	{
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(2);
	}
	/* an exact-size buffer, as libFuzzer passes it */
	data = malloc(size ? (size_t) size : 1);
	if (data == NULL || fread(data, 1, (size_t) size, f) != (size_t) size)
	{
		fprintf(stderr, "%s: could not read\n", path);
		exit(2);
	}
	fclose(f);
	alarm(TIMEOUT_SECONDS);
	LLVMFuzzerTestOneInput(data, (size_t) size);
	free(data);
	exit(0);					/* exit, not _exit: LeakSanitizer checks at exit */
}

static void
run_file(const char *path)
{
	pid_t		pid;
	int			status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
	{
		perror("fork");
		failed++;
		return;
	}
	if (pid == 0)
		child(path);
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		passed++;
	else
	{
		failed++;
		if (WIFSIGNALED(status))
			printf("FAIL %s (signal %d%s)\n", path, WTERMSIG(status),
				   WTERMSIG(status) == SIGALRM ? ", timed out" : "");
		else
			printf("FAIL %s (exit status %d)\n", path, WEXITSTATUS(status));
	}
}

static int
visible(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

static bool
is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A file, or the files in a folder (not in its subfolders). */
static void
run_path(const char *path)
{
	struct dirent **entries;
	int			n;

	if (is_file(path))
	{
		run_file(path);
		return;
	}
	n = scandir(path, &entries, visible, alphasort);
	if (n < 0)
		return;					/* a target without regressions has no folder */
	for (int i = 0; i < n; i++)
	{
		size_t		len = strlen(path) + strlen(entries[i]->d_name) + 2;
		char	   *file = malloc(len);

		if (file)
		{
			snprintf(file, len, "%s/%s", path, entries[i]->d_name);
			if (is_file(file))
				run_file(file);
			free(file);
		}
		free(entries[i]);
	}
	free(entries);
}

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		run_path(argv[i]);
	if (passed + failed == 0)
	{
		printf("no inputs found\n");
		failed = 1;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed > 0;
}
